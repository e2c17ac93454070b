"""The ledger's invariants in PostgreSQL itself: postings and transactions are never
updated or deleted, and the postings of a transaction, inserted together, sum to zero."""

from django.db import migrations


APPEND_ONLY = """
CREATE FUNCTION billing_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % is refused; post a reversing transaction instead', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER billing_posting_append_only BEFORE UPDATE OR DELETE ON billing_posting
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER billing_transaction_append_only BEFORE UPDATE OR DELETE ON billing_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();

-- Checked per statement: a transaction's postings are inserted together, in one statement.
CREATE FUNCTION billing_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
    SELECT p.transaction_id, SUM(p.amount_micros) AS total INTO bad
    FROM billing_posting p
    WHERE p.transaction_id IN (SELECT DISTINCT transaction_id FROM new_rows)
    GROUP BY p.transaction_id HAVING SUM(p.amount_micros) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: its postings sum to %', bad.transaction_id, bad.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER billing_posting_balanced AFTER INSERT ON billing_posting
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION billing_check_balanced();
"""

DROP = """
DROP TRIGGER billing_posting_balanced ON billing_posting;
DROP FUNCTION billing_check_balanced();
DROP TRIGGER billing_transaction_append_only ON billing_ledgertransaction;
DROP TRIGGER billing_posting_append_only ON billing_posting;
DROP FUNCTION billing_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_ledger")]

    operations = [migrations.RunSQL(APPEND_ONLY, DROP)]
