-- Migration 0003_standardize_phase2: cleanup
-- Drops the compatibility views this migration created. Run it once no code uses the old
-- names any more. Safe to run twice.

BEGIN;
SET LOCAL standard_conforming_strings = on;
SET LOCAL client_encoding = 'UTF8';
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."api_keys";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."contacts";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."email_change_history";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."email_logs";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."email_preferences";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."lead_contacts";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."lead_notes";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."leads";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."oauth_tokens";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."profiles";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."reminder_logs";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."stripe_customers";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."stripe_products";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."subscription_events";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."subscription_notifications";
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS "public"."user_mfa";
COMMIT;
