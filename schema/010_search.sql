-- Server-side search: a full-text index of mail, and the directory fields 16.1's Find shows.
--
-- Mail: every word of a search must appear in the subject, From, To, Cc or the text, case ignored,
-- as a prefix of a word there (phones search while the user types). Words are runs of letters and
-- digits: ASCII punctuation separates them on both sides (so "bob@example.com" finds "bob",
-- "example" and the whole address; "e-mail" finds "e mail"), and the 'simple' configuration
-- keeps every word as written, lower-cased, without stemming or stop words, so names and words of
-- any language match. The vector is a stored generated column (PostgreSQL keeps it in step with
-- every INSERT and UPDATE) with a GIN index. It covers the first 200,000 characters of the
-- text: a tsvector holds at most 1 MB of distinct words, and a message that overflowed it could
-- not be stored at all.

CREATE FUNCTION easd_search_words(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT translate(t, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', repeat(' ', 32)) $$;

-- The query for a user's words: each word's parts as prefixes, all of them required; NULL when
-- the words hold no letter or digit (nothing can match). IMMUTABLE, so the planner evaluates it
-- once with the request's words and estimates the GIN index scan with the real query.
CREATE FUNCTION easd_search_query(words text) RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT string_agg(quote_literal(w) || ':*', ' & ')::tsquery
   FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig, easd_search_words(words)))) w $$;

ALTER TABLE emails ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, easd_search_words(left(
        subject || ' ' || from_addr || ' ' || to_addr || ' ' || cc_addr || ' ' || body_plain, 200000)))
) STORED;
CREATE INDEX emails_search ON emails USING gin (search_vector);

-- The directory (GAL) fields of an account, as Find and Search show them; '' when not known.
-- Set with `easctl user set ADDRESS --phone ... --title ...`. No pictures are kept.
ALTER TABLE users
    ADD COLUMN phone        text NOT NULL DEFAULT '',
    ADD COLUMN mobile_phone text NOT NULL DEFAULT '',
    ADD COLUMN office       text NOT NULL DEFAULT '',
    ADD COLUMN title        text NOT NULL DEFAULT '',
    ADD COLUMN company      text NOT NULL DEFAULT '';
