-- easd-push.lua: tells easd, the moment a user's mailbox changes in Dovecot, which mailbox changed,
-- so that easd catches that mailbox up and answers the phones waiting in Ping at once.
--
-- A script for the Lua driver of Dovecot's push_notification plugin, Dovecot 2.3.19 or later
-- (Debian 12 ships 2.3.19): it needs dovecot.http, Dovecot's own HTTP client in Lua, new in 2.3.19.
-- Configuration (see dovecot/conf.d/90-easd.conf):
--
--   mail_plugins = $mail_plugins mail_lua notify push_notification push_notification_lua
--   plugin {
--     push_notification_driver = lua:file=/usr/share/easd/dovecot/easd-push.lua
--     easd_push_url = http://127.0.0.1:8008/easd-notify   (nginx/easd.conf.in; the local setup: its HTTP port)
--     easd_push_token = <the token easd has in push_token / push_token_file>
--   }
--
-- What it sends. Dovecot calls the event handlers below once per change inside a mail transaction
-- (an LMTP delivery, an IMAP STORE/EXPUNGE/APPEND/RENAME...). They only collect, per mailbox, which
-- kinds of change happened. When the transaction ends successfully, one POST per changed mailbox:
--
--   POST <easd_push_url>
--   X-Easd-Push-Token: <easd_push_token>
--   Content-Type: application/x-www-form-urlencoded
--
--   user=<Dovecot username>&mailbox=<mailbox name>&events=<names, comma-separated>
--   [&old_mailbox=<previous name>]   (only with MailboxRename)
--
-- Event names are RFC 5423's as Dovecot names them: MessageNew (delivery), MessageAppend,
-- FlagsSet, FlagsClear, MessageExpunge, MailboxCreate, MailboxRename, MailboxDelete. A rename of
-- a mailbox with children is reported once, for the mailbox itself; easd must rename the children
-- along. The notification says only *that* something changed: easd asks Dovecot (CONDSTORE/QRESYNC)
-- for what, so a lost notification delays a phone until easd's next catch-up and loses nothing.
--
-- Mailbox names: the driver passes Dovecot's virtual mailbox name (mailbox_get_vname), which is
-- UTF-8 with the namespace's separator ("Entwürfe", "INBOX/Projekte"), never IMAP's modified
-- UTF-7 ("Entw&APw-rfe"); verified with Dovecot 2.3.19. It is sent percent-encoded as UTF-8.
--
-- Failures never fail the mail: the transaction is already committed when end_txn runs, a request
-- times out after 2 s, and errors are only logged (dovecot.i_warning / i_error, in Dovecot's log).

local REQUEST_TIMEOUT_MSECS = 2000
local CONNECT_TIMEOUT_MSECS = 1000

-- One HTTP client per loaded script (Dovecot loads a script file once per process and shares it
-- between the users of that process). Made lazily so that a Dovecot without dovecot.http (older
-- than 2.3.19) still loads the script and logs why it cannot send.
local http_client = nil

local function client()
  if http_client == nil then
    if dovecot.http == nil then
      error("dovecot.http is not available (Dovecot 2.3.19 or later is needed)")
    end
    http_client = dovecot.http.client({
      user_agent = "dovecot-easd-push",
      request_timeout_msecs = REQUEST_TIMEOUT_MSECS,
      request_absolute_timeout_msecs = REQUEST_TIMEOUT_MSECS,
      connect_timeout_msecs = CONNECT_TIMEOUT_MSECS,
      max_attempts = 1,
      max_connect_attempts = 1,
      no_auto_retry = true,
      no_auto_redirect = true,
    })
  end
  return http_client
end

-- application/x-www-form-urlencoded value: every byte but the unreserved ones as %XX (UTF-8 bytes
-- stay bytes, so the receiver decodes UTF-8).
local function form_escape(s)
  return (tostring(s):gsub("[^A-Za-z0-9%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function script_init()
  return 0
end

-- A setting without the blanks around it. `easd_push_token = </etc/easd/push-token` keeps the file's
-- final newline, and a CR or LF in a header value is an assertion failure in Dovecot's HTTP client:
-- it kills the delivering process instead of failing one request.
local function setting(user, name)
  local v = user:plugin_getenv(name)
  if v == nil then return nil end
  return (tostring(v):gsub("^%s+", ""):gsub("%s+$", ""))
end

function dovecot_lua_notify_begin_txn(user)
  -- user.username is the login as Dovecot knows it (the user's, also when easd logs in as
  -- user*master). Settings are read per transaction, so a changed userdb value applies at once.
  return {
    username = user.username,
    url = setting(user, "easd_push_url"),
    token = setting(user, "easd_push_token"),
    order = {},    -- mailbox names in the order they first changed
    boxes = {},    -- name -> { events = {names in order}, seen = {name=true}, old = old name }
  }
end

local function note(ctx, mailbox, event_name, old_mailbox)
  if mailbox == nil then return end
  local box = ctx.boxes[mailbox]
  if box == nil then
    box = { events = {}, seen = {} }
    ctx.boxes[mailbox] = box
    table.insert(ctx.order, mailbox)
  end
  if not box.seen[event_name] then
    box.seen[event_name] = true
    table.insert(box.events, event_name)
  end
  if old_mailbox ~= nil and old_mailbox ~= "" then
    box.old = old_mailbox
  end
end

-- One handler per event we want; Dovecot only generates the events a handler exists for.
-- (MessageRead and MessageTrash are covered by FlagsSet; subscriptions do not matter to easd.)
function dovecot_lua_notify_event_message_new(ctx, event) note(ctx, event.mailbox, "MessageNew") end
function dovecot_lua_notify_event_message_append(ctx, event) note(ctx, event.mailbox, "MessageAppend") end
function dovecot_lua_notify_event_flags_set(ctx, event) note(ctx, event.mailbox, "FlagsSet") end
function dovecot_lua_notify_event_flags_clear(ctx, event) note(ctx, event.mailbox, "FlagsClear") end
function dovecot_lua_notify_event_message_expunge(ctx, event) note(ctx, event.mailbox, "MessageExpunge") end
function dovecot_lua_notify_event_mailbox_create(ctx, event) note(ctx, event.mailbox, "MailboxCreate") end
function dovecot_lua_notify_event_mailbox_delete(ctx, event) note(ctx, event.mailbox, "MailboxDelete") end
function dovecot_lua_notify_event_mailbox_rename(ctx, event)
  -- event.mailbox is the new name, event.mailbox_old the previous one.
  note(ctx, event.mailbox, "MailboxRename", event.mailbox_old)
end

local function post(ctx, mailbox, box)
  local body = "user=" .. form_escape(ctx.username) ..
               "&mailbox=" .. form_escape(mailbox) ..
               "&events=" .. form_escape(table.concat(box.events, ","))
  if box.old ~= nil then
    body = body .. "&old_mailbox=" .. form_escape(box.old)
  end
  local req = client():request({ url = ctx.url, method = "POST" })
  req:add_header("Content-Type", "application/x-www-form-urlencoded")
  req:add_header("X-Easd-Push-Token", ctx.token)
  req:set_payload(body)
  local resp = req:submit()
  -- Errors of Dovecot's HTTP client itself (connection refused, timeout) come back as statuses
  -- 9000 and up, with the reason saying what happened.
  local status = (type(resp) == "table" and resp.status ~= nil) and resp:status() or nil
  if status == nil then
    dovecot.i_error("easd-push: no response from " .. ctx.url .. " for " .. ctx.username)
  elseif status >= 9000 then
    dovecot.i_warning(string.format("easd-push: %s unreachable for %s (%s): %s",
      ctx.url, ctx.username, mailbox, tostring(resp:reason())))
  elseif status == 403 then
    dovecot.i_error("easd-push: " .. ctx.url .. " refused the token (403): easd_push_token " ..
      "must equal easd's push_token")
  elseif status < 200 or status >= 300 then
    dovecot.i_warning(string.format("easd-push: %s answered %d %s for %s (%s)",
      ctx.url, status, tostring(resp:reason()), ctx.username, mailbox))
  end
end

function dovecot_lua_notify_end_txn(ctx, success)
  if not success or #ctx.order == 0 then return end
  if ctx.url == nil or ctx.url == "" then
    dovecot.i_error("easd-push: plugin setting easd_push_url is not set; easd is not notified")
    return
  end
  if ctx.token == nil or ctx.token == "" then
    dovecot.i_error("easd-push: plugin setting easd_push_token is not set; easd is not notified")
    return
  end
  if ctx.token:find("%c") or ctx.url:find("%c") then
    dovecot.i_error("easd-push: easd_push_token or easd_push_url contains control characters; " ..
      "easd is not notified")
    return
  end
  for _, mailbox in ipairs(ctx.order) do
    -- pcall: one failing request (a bad URL, an error in the HTTP client) must neither skip the
    -- other mailboxes nor reach Dovecot as an error of the transaction.
    local ok, err = pcall(post, ctx, mailbox, ctx.boxes[mailbox])
    if not ok then
      dovecot.i_error("easd-push: notifying " .. tostring(ctx.url) .. " failed: " .. tostring(err))
    end
  end
end
