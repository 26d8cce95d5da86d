package sqlite

import (
	"context"
	"fmt"
)

// KeyCheck stores check as the master-key check unless one is stored, and
// returns the stored one.
func (s *Store) KeyCheck(ctx context.Context, check string) (string, error) {
	if _, err := s.writer.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ('master_key_check', ?)
		ON CONFLICT (name) DO NOTHING`, check); err != nil {
		return "", writeErr("key check", err)
	}
	var stored string
	if err := s.writer.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = 'master_key_check'`).Scan(&stored); err != nil {
		return "", fmt.Errorf("sqlite: key check: %w", err)
	}
	return stored, nil
}
