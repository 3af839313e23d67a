import { sql } from 'kysely';
import type { DialectName, Store } from '../../src/store/db.ts';

/**
 * Makes the database itself refuse the audit row of chosen actions: a trigger on audit_events
 * reads a table of refused actions (in the test's own SQLite database or throwaway PostgreSQL
 * schema). A request whose audit row is refused fails, and the change it describes must not be
 * there either when both commit in one transaction.
 */
export async function installAuditRefusal(store: Store, dialect: DialectName): Promise<{ refuse(action: string): Promise<void>; allow(action: string): Promise<void> }> {
  await sql`CREATE TABLE test_refused_audit (action varchar(100) PRIMARY KEY)`.execute(store.db);
  if (dialect === 'sqlite') {
    await sql`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events WHEN NEW.action IN (SELECT action FROM test_refused_audit) BEGIN SELECT RAISE(ABORT, 'audit row refused by the test'); END`.execute(store.db);
  } else {
    await sql`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM test_refused_audit WHERE action = NEW.action) THEN RAISE EXCEPTION 'audit row refused by the test'; END IF;
        RETURN NEW;
      END $$`.execute(store.db);
    await sql`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`.execute(store.db);
  }
  return {
    refuse: async (action) => {
      await sql`INSERT INTO test_refused_audit (action) VALUES (${action})`.execute(store.db);
    },
    allow: async (action) => {
      await sql`DELETE FROM test_refused_audit WHERE action = ${action}`.execute(store.db);
    },
  };
}
