-- Member care (issue 16): the language a customer's letters are written in, a BCP 47 tag
-- (zh, en, zh-Hant, ...) checked by intake_language_ok; '' = the branch's language.
ALTER TABLE customer ADD COLUMN language text NOT NULL DEFAULT '';
