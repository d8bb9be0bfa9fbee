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
		p := e.recording()
		if p.Writing {
			if info, err := os.Stat(j.data(e.ID)); err == nil {
				p.Size = info.Size()
			}
		}
		list = append(list, p)
	}
	sortPending(list)
	return list, nil
}

// recording is e as Pending and ListSpool give it, with what the journal
// keeps of its failures.
func (e spoolEntry) recording() PendingRecording {
	return PendingRecording{Tenant: e.Tenant, Key: e.Key, Size: e.Size, Committed: e.Committed, Attempts: e.Failures,
		LastError: e.LastError.restore(), Incomplete: e.Incomplete, Held: e.Held, Writing: e.State == stateWriting,
		created: e.Created}
}

// sortPending puts the recordings that have waited longest first.
func sortPending(list []PendingRecording) {
	slices.SortFunc(list, func(a, b PendingRecording) int { return a.since().Compare(b.since()) })
}
