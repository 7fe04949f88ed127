# schemac — thin wrappers over cargo. `just --list` shows them.

# Compile schemas/ into generated/ (SQL, per-domain files).
build:
    cargo run --release -q -- build

# Compile without writing; fail on errors or stale generated/ output.
check:
    cargo run --release -q -- check

# Apply the schema, the released migrations and the pending changes to a throwaway
# PostgreSQL (or --database-url URL) and report what it refuses: CI runs it before a deploy.
verify *ARGS:
    cargo run --release -q -- verify {{ARGS}}

# Naming and security lint of schemas/ (add --fix, --format json|github|sarif, --show-exempt).
lint *ARGS:
    cargo run --release -q -- lint {{ARGS}}

# Regenerate docs/rules/ from the rules' doc comments.
rule-docs:
    cargo run --release -q -- rule-docs docs/rules

# Run every test: installs what the tests need when missing (PostgreSQL 15, pgTAP,
# pg_prove), then `cargo test` (a throwaway PostgreSQL when DATABASE_URL is unset).
test *ARGS:
    .ci/test {{ARGS}}

# Regenerate the JSON Schemas of the language in docs/schema/.
schema:
    cargo run --release -q -- json-schema project > docs/schema/project.schema.json
    cargo run --release -q -- json-schema domain > docs/schema/domain.schema.json

# Format and lint the Rust code.
fmt:
    cargo fmt --all
    cargo clippy --all-targets -- -D warnings

# Compile the changes since the last migration into generated/migrations/NNNN_<name>/.
migrate NAME:
    cargo run --release -q -- migrate {{NAME}}

# Rewrite the example history of schemas/ (generated/migrations) from the declared renames.
example-history:
    cargo test -q --test history -- --ignored regenerate_example_history

# Live-database figures: drift and import on the 10,000-table synthetic database
# (a throwaway PostgreSQL; SCHEMAC_BENCH_TABLES=n for another size).
bench-live:
    cargo test --profile dist --test live -- --ignored --nocapture bench_

# Benchmarks: phase times for 100 / 1,000 / 10,000 synthetic tables, floor ratio, peak memory.
# Uses the dist profile (thin LTO, one codegen unit), the one releases are built with.
bench:
    cargo build --profile dist -q
    cargo bench --profile dist --bench pipeline
