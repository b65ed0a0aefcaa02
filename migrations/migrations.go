// Package migrations holds Haven's schema as goose SQL files, embedded in the
// binary. They run as the owning role (HAVEN_MIGRATE_DATABASE_URL) and grant
// the app role (haven_app) only what it needs; see docs/deployment.md.
package migrations

import "embed"

// FS holds every migration, River's schema included (cmd/genriver).
//
//go:embed *.sql
var FS embed.FS
