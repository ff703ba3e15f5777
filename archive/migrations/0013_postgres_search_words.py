"""PostgreSQL reads words the way FTS5 and the query parser do, and indexes titles alone.

1. The tsvector is computed from the text with every run of characters other than letters
   and digits turned into a space, so PostgreSQL's words are FTS5 unicode61's words and
   names.text.words' (the query side): its own parser read "U.S" and "and/or" as file
   paths, "3.5" as one number and "e-mail" as a compound (plus its parts, one position
   later), none of which a query word could match, so "U.S." found nothing on PostgreSQL
   and every article on SQLite (issue 9). And two-letter words are kept unstemmed, as FTS5
   keeps them ("i" found every "is" on PostgreSQL). Rewrites the column (lz4 kept, as 0008).
2. A GIN index over the title's words alone: relevance finds the matches whose title holds
   a query word among all matches, however old (search.service.title_matches).

SQLite needs neither: unicode61 already splits this way, and FTS5 column filters
({title} : ...) read the existing index. Nothing here touches SQLite's archive_article, so
its FTS triggers stay.
"""

from django.db import migrations

# Letters and digits only; then the two-letter words Porter would change ("us" -> "u",
# "is" -> "i", "ay" -> "ai") get an end the stemmer leaves alone (U+07C0, a digit no text
# search ever types), since FTS5's porter tokenizer never stems words under 3 letters.
# search.postgres.pg_word applies the same to query words.
WORDS = (
    "regexp_replace(regexp_replace(coalesce({0}, ''), '[^[:alnum:]]+', ' ', 'g'), "
    "'\\m([[:alnum:]][sSyY])\\M', '\\1\u07c0', 'g')"
)
VECTOR = f"""
    setweight(to_tsvector('archive_english'::regconfig, {WORDS.format("title")}), 'A') ||
    setweight(to_tsvector('archive_english'::regconfig, {WORDS.format("entity_text")}), 'B') ||
    setweight(to_tsvector('simple'::regconfig,
        regexp_replace(coalesce(entity_text, ''), '([[:alnum:]]+)', 'e0\\1', 'g')), 'B') ||
    setweight(to_tsvector('archive_english'::regconfig, {WORDS.format("body")}), 'D')
"""
OLD_VECTOR = """
    setweight(to_tsvector('archive_english'::regconfig, coalesce(title, '')), 'A') ||
    setweight(to_tsvector('archive_english'::regconfig, coalesce(entity_text, '')), 'B') ||
    setweight(to_tsvector('simple'::regconfig,
        regexp_replace(coalesce(entity_text, ''), '([[:alnum:]]+)', 'e0\\1', 'g')), 'B') ||
    setweight(to_tsvector('archive_english'::regconfig, coalesce(body, '')), 'D')
"""
# Must stay the very expression of search.postgres.TITLE_VECTOR (without the alias).
TITLE_INDEX = (
    "CREATE INDEX archive_article_title_vector ON archive_article USING gin ("
    f"(to_tsvector('archive_english'::regconfig, {WORDS.format('title')})))"
)


def _replace(vector, title_index):
    def apply(apps, schema_editor):
        conn = schema_editor.connection
        if conn.vendor != "postgresql":
            return
        with conn.cursor() as cur:  # as 0008: lz4 where the server has it
            cur.execute(
                "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
                "AND 'lz4' = ANY(enumvals)"
            )
            lz4 = cur.fetchone()
        if lz4:  # the rewrite below then writes lz4 at once (no second rewrite as in 0008)
            schema_editor.execute("SET LOCAL default_toast_compression = 'lz4'")
        schema_editor.execute("DROP INDEX IF EXISTS archive_article_title_vector")
        schema_editor.execute("DROP INDEX IF EXISTS archive_article_search_vector")
        schema_editor.execute("ALTER TABLE archive_article DROP COLUMN search_vector")
        schema_editor.execute(
            f"ALTER TABLE archive_article ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED"
        )
        if lz4:
            schema_editor.execute(
                "ALTER TABLE archive_article ALTER COLUMN search_vector SET COMPRESSION lz4"
            )
        schema_editor.execute(
            "CREATE INDEX archive_article_search_vector ON archive_article USING gin (search_vector)"
        )
        if title_index:
            schema_editor.execute(TITLE_INDEX)

    return apply


class Migration(migrations.Migration):
    dependencies = [("archive", "0012_identity_and_state")]

    operations = [migrations.RunPython(_replace(VECTOR, True), _replace(OLD_VECTOR, False))]
