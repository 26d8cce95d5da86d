package postgres

import (
	"context"
	"fmt"
)

// KeyCheck stores check as the master-key check unless one is stored, and
// returns the stored one, in one statement.
func (s *Store) KeyCheck(ctx context.Context, check string) (string, error) {
	var stored string
	err := s.pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO settings (name, value) VALUES ('master_key_check', $1)
			ON CONFLICT (name) DO NOTHING RETURNING value)
		SELECT value FROM ins UNION ALL SELECT value FROM settings WHERE name = 'master_key_check' LIMIT 1`, check).Scan(&stored)
	if err != nil {
		return "", fmt.Errorf("postgres: key check: %w", err)
	}
	return stored, nil
}
