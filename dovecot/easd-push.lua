-- Dovecot tells easd the moment a mailbox changes (issue 11).
--
-- Loaded by Dovecot's push_notification plugin (Lua driver, Debian's dovecot-core):
--   mail_plugins = $mail_plugins mail_lua notify push_notification push_notification_lua
--   plugin {
--     push_notification_driver = lua:file=/usr/share/easd/dovecot/easd-push.lua
--     easd_push_url = http://127.0.0.1/easd-notify     # easd behind nginx or Apache, loopback only
--     easd_push_token = <the push_token of easd.conf>
--   }
--
-- Per mail transaction (a delivery, an IMAP STORE, EXPUNGE, RENAME...) it collects which of the
-- user's mailboxes changed and how, and when the transaction succeeded POSTs one form per mailbox:
--   user=<Dovecot user name>&mailbox=<mailbox name>&events=<MessageNew,FlagsSet,...>[&old_mailbox=<name>]
-- with the header X-Easd-Push-Token. easd catches that mailbox up from IMAP and wakes the phones
-- waiting on it. Mailbox names are the ones Dovecot shows IMAP clients (its "vnames", UTF-8), the
-- names easd keeps. A failure is logged and never fails the mail transaction: easd also catches
-- up at the phone's next FolderSync and, every few minutes, for phones waiting.

local client = nil

local function http_client()
  if client == nil then
    -- Short timeouts: a delivery waits for this request, and easd down must not stall mail.
    client = dovecot.http.client({
      request_absolute_timeout_msecs = 2000,
      soft_connect_timeout_msecs = 500,
      max_attempts = 2,
      user_agent = "easd-push/1",
    })
  end
  return client
end

local function urlencode(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function dovecot_lua_notify_begin_txn(user)
  return {
    user = user.username,
    url = user:plugin_getenv("easd_push_url"),
    token = user:plugin_getenv("easd_push_token"),
    mailboxes = {},  -- name -> { events = {name = true}, order = {names}, old = old name }
    order = {},
  }
end

local function note(ctx, mailbox, name, old)
  if mailbox == nil then mailbox = "" end
  local m = ctx.mailboxes[mailbox]
  if m == nil then
    m = { events = {}, order = {} }
    ctx.mailboxes[mailbox] = m
    table.insert(ctx.order, mailbox)
  end
  if not m.events[name] then
    m.events[name] = true
    table.insert(m.order, name)
  end
  if old ~= nil then m.old = old end
end

function dovecot_lua_notify_event_message_new(ctx, event) note(ctx, event.mailbox, "MessageNew") end
function dovecot_lua_notify_event_message_append(ctx, event) note(ctx, event.mailbox, "MessageAppend") end
function dovecot_lua_notify_event_message_expunge(ctx, event) note(ctx, event.mailbox, "MessageExpunge") end
function dovecot_lua_notify_event_flags_set(ctx, event) note(ctx, event.mailbox, "FlagsSet") end
function dovecot_lua_notify_event_flags_clear(ctx, event) note(ctx, event.mailbox, "FlagsClear") end
function dovecot_lua_notify_event_mailbox_create(ctx, event) note(ctx, event.mailbox, "MailboxCreate") end
function dovecot_lua_notify_event_mailbox_delete(ctx, event) note(ctx, event.mailbox, "MailboxDelete") end
function dovecot_lua_notify_event_mailbox_rename(ctx, event)
  note(ctx, event.mailbox, "MailboxRename", event.mailbox_old)
end

function dovecot_lua_notify_end_txn(ctx, success)
  if not success or ctx.url == nil or ctx.url == "" then return end
  for _, mailbox in ipairs(ctx.order) do
    local m = ctx.mailboxes[mailbox]
    local body = "user=" .. urlencode(ctx.user) .. "&mailbox=" .. urlencode(mailbox) ..
                 "&events=" .. urlencode(table.concat(m.order, ","))
    if m.old ~= nil then body = body .. "&old_mailbox=" .. urlencode(m.old) end
    local ok, err = pcall(function()
      local request = http_client():request({ url = ctx.url, method = "POST" })
      request:add_header("Content-Type", "application/x-www-form-urlencoded")
      request:add_header("X-Easd-Push-Token", ctx.token or "")
      request:set_payload(body)
      local response = request:submit()
      local status = response:status()
      if status ~= 204 and status ~= 200 then
        dovecot.i_warning("easd-push: " .. ctx.url .. " answered " .. tostring(status) .. " for " .. ctx.user ..
                          " " .. mailbox)
      end
    end)
    if not ok then dovecot.i_warning("easd-push: cannot reach easd at " .. ctx.url .. ": " .. tostring(err)) end
  end
end
