package recstore

import (
	"fmt"
	"os"
	"slices"
)

// ListSpool lists the recordings of the spool in dir, pending or being
// written, oldest first, without opening it: it reads the journal and
// changes nothing, so that it may look at the directory of a spool that a
// running process has open (recstore spool ls does). Attempts and
// LastError are those the journal keeps; NextAttempt is unknown (zero).
func ListSpool(dir string) ([]PendingRecording, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("recstore: spool directory: %w", err)
	}
	j := journal{dir}
	entries, err := j.entries()
	if err != nil {
		return nil, fmt.Errorf("recstore: reading the spool's journal in %s: %w", dir, err)
	}
	list := make([]PendingRecording, 0, len(entries))
	for _, e := range entries {
		if e.State == stateDiscarded {
			continue
		}
		p := PendingRecording{Tenant: e.Tenant, Key: e.Key, Size: e.Size, Committed: e.Committed,
			Attempts: e.Failures, LastError: e.LastError.restore(), Incomplete: e.Incomplete, created: e.Created}
		if e.State == stateWriting {
			p.Writing = true
			if info, err := os.Stat(j.data(e.ID)); err == nil {
				p.Size = info.Size()
			}
		}
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b PendingRecording) int { return a.since().Compare(b.since()) })
	return list, nil
}
