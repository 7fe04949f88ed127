-- Migration 0002_standardize_phase1: cleanup
-- Drops the compatibility views this migration created. Run it once no code uses the old
-- names any more. Safe to run twice.

BEGIN;
SET LOCAL lock_timeout = '5s';
DROP VIEW IF EXISTS "public"."ai_jobs";
DROP VIEW IF EXISTS "public"."calls";
DROP VIEW IF EXISTS "public"."messages";
DROP VIEW IF EXISTS "public"."scheduled_messages";
DROP VIEW IF EXISTS "public"."transcript_segments";
DROP VIEW IF EXISTS "public"."transcripts";
DROP VIEW IF EXISTS "public"."workspace";
COMMIT;
