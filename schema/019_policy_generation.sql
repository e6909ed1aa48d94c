-- easd schema 19: a generation number for the policies (issue 12, part 6: the request path).
--
-- Every request checks the device's policy key against the policy in force, which took one read
-- of up to four policy rows (and parsing their settings) per request. The policies change rarely:
-- the workers keep each device's levels and read only this number, with the device row they read
-- anyway. Any change to the policies table, including rows removed with their domain, user or
-- device, moves it on, so every worker on every host sees the change at its next request.
CREATE TABLE policy_generation (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation bigint NOT NULL
);
INSERT INTO policy_generation (generation) VALUES (1);

CREATE FUNCTION bump_policy_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE policy_generation SET generation = generation + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER policies_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON policies
    FOR EACH STATEMENT EXECUTE FUNCTION bump_policy_generation();
