//! The only list of lint rules.

use super::{Level, Rule};

macro_rules! rules {
    ($($module:ident => $name:literal, $code:literal, $level:ident;)*) => {
        #[path = "rules"]
        mod rules {
            $(pub mod $module;)*
        }
        /// Every rule, in documentation order.
        pub static RULES: &[Rule] = &[
            $(Rule {
                name: $name,
                code: $code,
                default: Level::$level,
                source: include_str!(concat!("rules/", stringify!($module), ".rs")),
                check: rules::$module::check,
            },)*
        ];
    };
}

rules! {
    table_missing_domain_prefix => "table-missing-domain-prefix", "N001", Error;
    table_prefix_of_other_domain => "table-prefix-of-other-domain", "N002", Error;
    table_not_plural => "table-not-plural", "N003", Error;
    generic_table_name => "generic-table-name", "N004", Error;
    reserved_name => "reserved-name", "N005", Error;
    module_table_name => "module-table-name", "N006", Error;
    identifier_not_snake_case => "identifier-not-snake-case", "N007", Error;
    identifier_too_long => "identifier-too-long", "N008", Error;
    index_name_pattern => "index-name-pattern", "N009", Warn;
    policy_name_pattern => "policy-name-pattern", "N010", Warn;
    rls_disabled => "rls-disabled", "S001", Error;
    rls_enabled_no_policy => "rls-enabled-no-policy", "S002", Error;
    view_not_security_invoker => "view-not-security-invoker", "S003", Error;
    policy_unknown_role => "policy-unknown-role", "S004", Error;
    anon_write_always_true => "anon-write-always-true", "S005", Error;
    auth_call_not_wrapped => "auth-call-not-wrapped", "S006", Warn;
    security_definer_search_path => "security-definer-search-path", "S007", Error;
    unindexed_foreign_key => "unindexed-foreign-key", "S008", Warn;
    table_without_primary_key => "table-without-primary-key", "S009", Error;
    duplicate_index => "duplicate-index", "S010", Warn;
    rls_off_with_access => "rls-off-with-access", "S011", Error;
    user_editable_authorization => "user-editable-authorization", "S012", Error;
    duplicate_foreign_key => "duplicate-foreign-key", "S013", Error;
    security_definer_executable => "security-definer-executable", "S014", Error;
    always_true_policy => "always-true-policy", "S015", Error;
    multiple_permissive_policies => "multiple-permissive-policies", "S016", Warn;
    function_search_path_mutable => "function-search-path-mutable", "S017", Warn;
    policy_never_applies => "policy-never-applies", "S018", Error;
}
