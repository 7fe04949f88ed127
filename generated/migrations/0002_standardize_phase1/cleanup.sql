-- Migration 0002_standardize_phase1: cleanup
-- Drops the compatibility views this migration created. Run it once no code uses the old
-- names any more. Safe to run twice.

BEGIN;
SET LOCAL standard_conforming_strings = on;
SET LOCAL client_encoding = 'UTF8';
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."ai_jobs";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."calls";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."messages";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."scheduled_messages";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."transcript_segments";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."transcripts";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."workspace";
COMMIT;
