package devdb

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The two roles Haven uses on every deployment (docs/deployment.md): the
// owner runs migrations and operator commands, owns every table and
// bypasses row-level security (BYPASSRLS: the tables' policies are FORCEd,
// so an owner without it would see nothing); the app role owns nothing, is
// no superuser and cannot bypass row-level security, and gets only the
// grants the migrations give it.
const (
	OwnerRole = "haven_owner"
	AppRole   = "haven_app"
)

// EnsureAppRole creates the app role in the cluster when it does not exist
// yet. Roles are cluster-wide, so tests call it once per cluster; concurrent
// callers are safe.
func EnsureAppRole(ctx context.Context, superuserURL string) error {
	conn, err := pgx.Connect(ctx, superuserURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return ensureRole(ctx, conn, AppRole, "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
}

func ensureRole(ctx context.Context, conn *pgx.Conn, name, attrs string) error {
	// CREATE ROLE takes no parameters; names and attributes here are constants.
	_, err := conn.Exec(ctx, fmt.Sprintf(`DO $$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN
			CREATE ROLE %s %s;
		END IF;
	EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- created meanwhile by another process
	END $$`, name, name, attrs))
	if err != nil {
		return fmt.Errorf("create role %s: %w", name, err)
	}
	return nil
}

// Provision creates the owner and app roles and the database (owned by the
// owner) when they are missing, and returns the URLs to migrate with (as the
// owner) and to serve with (as the app role).
func (c *Cluster) Provision(ctx context.Context, database string) (ownerURL, appURL string, err error) {
	conn, err := pgx.Connect(ctx, c.URL("postgres", "postgres"))
	if err != nil {
		return "", "", err
	}
	defer conn.Close(ctx)
	if err := ensureRole(ctx, conn, OwnerRole, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS"); err != nil {
		return "", "", err
	}
	// A data folder made before row-level security was forced has an owner
	// without BYPASSRLS.
	if _, err := conn.Exec(ctx, `DO $$ BEGIN
		IF EXISTS (SELECT FROM pg_roles WHERE rolname = '`+OwnerRole+`' AND NOT rolbypassrls) THEN
			ALTER ROLE `+OwnerRole+` BYPASSRLS;
		END IF;
	END $$`); err != nil {
		return "", "", fmt.Errorf("give %s BYPASSRLS: %w", OwnerRole, err)
	}
	if err := ensureRole(ctx, conn, AppRole, "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"); err != nil {
		return "", "", err
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, database).Scan(&exists); err != nil {
		return "", "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{database}.Sanitize()+" OWNER "+OwnerRole); err != nil {
			return "", "", fmt.Errorf("create database: %w", err)
		}
	}
	return c.URL(database, OwnerRole), c.URL(database, AppRole), nil
}
