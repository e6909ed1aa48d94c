-- 10,000 devices for the web console's device list (scripts/bench/console-devices; the e2e case
-- "[.console-bench]" runs the same file): 1,000 accounts of console-bench.test with 10 devices each,
-- of mixed types, versions, states and sync times, so sorting by any column does real work. Repeat
-- runs add nothing (ON CONFLICT). Accounts get the password hash '!' (no password matches).
INSERT INTO domains (name) VALUES ('console-bench.test') ON CONFLICT (name) DO NOTHING;
INSERT INTO users (domain_id, address, password_hash)
SELECT d.id, 'bench' || lpad(g::text, 4, '0') || '@console-bench.test', '!'
FROM domains d, generate_series(1, 1000) g WHERE d.name = 'console-bench.test'
ON CONFLICT (address) DO NOTHING;
INSERT INTO devices (user_id, device_id, device_type, user_agent, protocol_version, model, os,
                     first_seen, last_seen, first_sync, last_sync, access_state, policy_status)
SELECT u.id, 'BENCH' || md5(u.address || g)::text,
       (ARRAY['iPhone', 'Android', 'iPad', 'WindowsOutlook15'])[1 + g % 4],
       (ARRAY['Apple-iPhone15C2/2101.1', 'Android-SDK/34', 'Apple-iPad13/2101.1', 'Outlook/16.0'])[1 + g % 4],
       (ARRAY['16.1', '14.1', '16.0', '12.1'])[1 + (g + u.id::int) % 4],
       'Model ' || (g % 7), 'OS ' || (u.id % 5),
       now() - interval '90 days', now() - (u.id % 97) * interval '1 hour',
       now() - interval '90 days', now() - ((u.id * 10 + g) % 5000) * interval '1 minute',
       (ARRAY['allowed', 'allowed', 'allowed', 'blocked', 'quarantined'])[1 + (u.id::int + g) % 5],
       (ARRAY['applied', 'applied', 'pending', 'none'])[1 + g % 4]
FROM users u, generate_series(1, 10) g
WHERE u.address LIKE 'bench%@console-bench.test'
ON CONFLICT (user_id, device_id) DO NOTHING;
ANALYZE devices;
ANALYZE users;
