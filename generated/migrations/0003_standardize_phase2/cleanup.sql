-- Migration 0003_standardize_phase2: cleanup
-- Drops the compatibility views this migration created. Run it once no code uses the old
-- names any more. Safe to run twice.

BEGIN;
SET LOCAL lock_timeout = '5s';
DROP VIEW IF EXISTS "public"."api_keys";
DROP VIEW IF EXISTS "public"."contacts";
DROP VIEW IF EXISTS "public"."email_change_history";
DROP VIEW IF EXISTS "public"."email_logs";
DROP VIEW IF EXISTS "public"."email_preferences";
DROP VIEW IF EXISTS "public"."lead_contacts";
DROP VIEW IF EXISTS "public"."lead_notes";
DROP VIEW IF EXISTS "public"."leads";
DROP VIEW IF EXISTS "public"."oauth_tokens";
DROP VIEW IF EXISTS "public"."profiles";
DROP VIEW IF EXISTS "public"."reminder_logs";
DROP VIEW IF EXISTS "public"."stripe_customers";
DROP VIEW IF EXISTS "public"."stripe_products";
DROP VIEW IF EXISTS "public"."subscription_events";
DROP VIEW IF EXISTS "public"."subscription_notifications";
DROP VIEW IF EXISTS "public"."user_mfa";
COMMIT;
