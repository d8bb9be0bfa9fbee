package recstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// The spool's directory: recordings/<id>.rec holds a recording's bytes and
// recordings/<id>.json its journal entry, which is only ever replaced whole
// (written beside, fsynced, renamed, and the directory fsynced), so that a
// crash leaves either the old entry or the new one. quarantine/ keeps the
// files of recordings found damaged. The directory is 0700 and its files
// 0600; no entry holds a secret: a tenant's Config is asked for at delivery.
const (
	spoolRecordings = "recordings"
	spoolQuarantine = "quarantine"
	spoolLockFile   = "lock"
	spoolDataExt    = ".rec"
	spoolEntryExt   = ".json"
)

// spoolVersion is the version of the journal's entries this code writes
// and reads.
const spoolVersion = 2

// The states of a journal entry.
const (
	stateWriting   = "writing"   // Create'd, not yet committed: after a crash, delivered as incomplete
	stateCommitted = "committed" // durable and handed over for delivery
	stateDiscarded = "discarded" // aborted or discarded: its multipart upload is aborted, then its files removed
)

// A spoolEntry is one recording's journal entry.
type spoolEntry struct {
	Version int         `json:"version"`
	ID      string      `json:"id"`
	Tenant  string      `json:"tenant"`
	Key     string      `json:"key"`
	Upload  spoolUpload `json:"upload"`
	State   string      `json:"state"`
	Size    int64       `json:"size"` // committed: the data file's length
	// Sums are the CRC-32s of the data file's blocks, as written (blockSums).
	Sums    []byte    `json:"sums,omitempty"`
	Created time.Time `json:"created"` // when Create (or Adopt) began it
	// Committed is when it was handed over for delivery.
	Committed time.Time `json:"committed,omitzero"`
	// Attempted is when delivery first began: from then on an object or a
	// multipart upload may exist, which a resumed delivery reconciles.
	Attempted time.Time `json:"attempted,omitzero"`
	// LastAttempt is when the latest attempt began: a request it left in
	// flight when its process died may still land for a while after.
	LastAttempt time.Time `json:"lastAttempt,omitzero"`
	// Shapes are the part sizes and checksum modes its attempts used: an
	// object one of them stored has the fingerprint of its shape.
	Shapes []uploadShape `json:"shapes,omitempty"`
	// Multipart is the multipart upload in progress, if any.
	Multipart *spoolMultipart `json:"multipart,omitempty"`
	// Failures counts the failed attempts, and LastError is the last one's
	// error (secret-free, as every recstore error is), for Pending after a
	// restart and for recstore spool ls.
	Failures  int           `json:"failures,omitempty"`
	LastError *spoolFailure `json:"lastError,omitempty"`
	// Incomplete: the process died while it was being written; it is
	// delivered as far as it was written, marked recstore-incomplete.
	Incomplete bool `json:"incomplete,omitempty"`
	// Held: an incomplete recording that WithHoldIncomplete keeps until
	// the application releases or discards it.
	Held bool `json:"held,omitempty"`
}

// A spoolMultipart is the multipart upload of a recording in progress:
// begun while it was written or by a delivery, and resumed by the next.
type spoolMultipart struct {
	ID      string      `json:"id"`
	Shape   uploadShape `json:"shape"`
	Started time.Time   `json:"started"`
	// Marked: created with the recstore-incomplete metadata.
	Marked bool `json:"marked,omitempty"`
	// Parts are the parts S3 confirmed.
	Parts []spoolPart `json:"parts,omitempty"`
}

// A spoolPart is one part S3 confirmed, as CompleteMultipartUpload names it.
type spoolPart struct {
	Number int32  `json:"n"`
	ETag   string `json:"etag"`
	CRC32  string `json:"crc32,omitempty"`
}

// spoolUpload is what an Upload's options say, as the journal keeps them.
type spoolUpload struct {
	ContentType   string            `json:"contentType,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	RetentionMode RetentionMode     `json:"retentionMode,omitempty"`
	RetainUntil   time.Time         `json:"retainUntil,omitzero"`
	LegalHold     bool              `json:"legalHold,omitempty"`
}

// IncompleteMetadata is the user metadata key (x-amz-meta-recstore-incomplete)
// of a recording delivered as far as it was written when its process died.
const IncompleteMetadata = "recstore-incomplete"

func newSpoolUpload(opts []UploadOption) spoolUpload {
	var o uploadOptions
	for _, opt := range opts {
		opt.applyUpload(&o)
	}
	return spoolUpload{ContentType: o.contentType, Metadata: o.metadata, RetentionMode: o.retentionMode,
		RetainUntil: o.retainUntil, LegalHold: o.legalHold}
}

// options are the UploadOptions of u, marked if the recording is incomplete.
func (u spoolUpload) options(incomplete bool) []UploadOption {
	metadata := u.Metadata
	if incomplete {
		metadata = map[string]string{IncompleteMetadata: "true"}
		for k, v := range u.Metadata {
			metadata[k] = v
		}
	}
	return []UploadOption{uploadOption(func(o *uploadOptions) {
		o.contentType, o.metadata, o.legalHold = u.ContentType, metadata, u.LegalHold
		o.retentionMode, o.retainUntil = u.RetentionMode, u.RetainUntil
	})}
}

// journal is the spool's directory.
type journal struct{ dir string }

func (j journal) data(id string) string {
	return filepath.Join(j.dir, spoolRecordings, id+spoolDataExt)
}
func (j journal) entry(id string) string {
	return filepath.Join(j.dir, spoolRecordings, id+spoolEntryExt)
}

// init creates the directory and its sub-directories, 0700.
func (j journal) init() error {
	for _, d := range []string{j.dir, filepath.Join(j.dir, spoolRecordings), filepath.Join(j.dir, spoolQuarantine)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// write replaces e's journal entry whole and durably.
func (j journal) write(e *spoolEntry) error {
	e.Version = spoolVersion
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	tmp := j.entry(e.ID) + ".tmp"
	if err := writeFileSync(tmp, body); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, j.entry(e.ID)); err != nil {
		return err
	}
	return syncDir(filepath.Join(j.dir, spoolRecordings))
}

// remove deletes a recording's entry, then its data: a crash between the
// two leaves data without an entry, which load removes.
func (j journal) remove(id string) error {
	if err := os.Remove(j.entry(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Remove(j.data(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Join(j.dir, spoolRecordings))
}

// quarantine moves a recording's files to quarantine/, where they stay.
func (j journal) quarantine(id string) error {
	q := filepath.Join(j.dir, spoolQuarantine)
	if err := os.Rename(j.data(id), filepath.Join(q, id+spoolDataExt)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(j.entry(id), filepath.Join(q, id+spoolEntryExt)); err != nil {
		return err
	}
	return errors.Join(syncDir(q), syncDir(filepath.Join(j.dir, spoolRecordings)))
}

// quarantined counts the recordings in quarantine/.
func (j journal) quarantined() int {
	names, _ := filepath.Glob(filepath.Join(j.dir, spoolQuarantine, "*"+spoolEntryExt))
	return len(names)
}

// load reads every entry, and removes what a crash left half done: entry
// files being replaced, and data files whose entry was removed.
func (j journal) load() ([]*spoolEntry, error) {
	entries, err := j.entries()
	if err != nil {
		return nil, err
	}
	names, err := os.ReadDir(filepath.Join(j.dir, spoolRecordings))
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, e := range entries {
		ids[e.ID] = true
	}
	for _, n := range names {
		id, data := strings.CutSuffix(n.Name(), spoolDataExt)
		if strings.HasSuffix(n.Name(), ".tmp") || data && !ids[id] {
			os.Remove(filepath.Join(j.dir, spoolRecordings, n.Name()))
		}
	}
	return entries, nil
}

// entries reads every entry and changes nothing, so that it may read the
// directory of a spool another process has open. An entry removed while
// it reads is left out.
func (j journal) entries() ([]*spoolEntry, error) {
	names, err := os.ReadDir(filepath.Join(j.dir, spoolRecordings))
	if err != nil {
		return nil, err
	}
	var entries []*spoolEntry
	for _, n := range names {
		if !strings.HasSuffix(n.Name(), spoolEntryExt) {
			continue
		}
		e, err := j.read(filepath.Join(j.dir, spoolRecordings, n.Name()))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, err
		default:
			entries = append(entries, e)
		}
	}
	return entries, nil
}

func (j journal) read(path string) (*spoolEntry, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var e spoolEntry
	if err := json.Unmarshal(body, &e); err != nil || e.Version != spoolVersion || e.ID == "" {
		return nil, fmt.Errorf("recstore: spool journal entry %s is not one this version reads (%v): move it aside to go on", path, err)
	}
	return &e, nil
}

func writeFileSync(path string, body []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// syncDir makes the directory's entries (creations, renames, removals) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// A record is a recording's journal entry as it changes: each change is
// written whole and durably before it counts. A Recording, its upload while
// it is written, and its delivery share one.
type record struct {
	j    journal
	mu   sync.Mutex
	e    spoolEntry
	gone bool // removed: changes fail
}

// errRecordGone: the recording was removed (aborted, discarded,
// delivered) while a change to its entry was under way.
var errRecordGone = errors.New("recstore: the spool recording was removed")

// update applies change to the entry and writes it.
func (r *record) update(change func(e *spoolEntry)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		return errRecordGone
	}
	next := r.e
	if m := next.Multipart; m != nil {
		m := *m
		m.Parts = slices.Clone(m.Parts)
		next.Multipart = &m
	}
	next.Shapes = slices.Clone(next.Shapes)
	change(&next)
	if err := r.j.write(&next); err != nil {
		return err
	}
	r.e = next
	return nil
}

// get is the entry as last written.
func (r *record) get() spoolEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.e
}

// held reports whether the entry is held (WithHoldIncomplete).
func (r *record) held() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.e.Held
}

// isGone reports whether the entry was removed or quarantined.
func (r *record) isGone() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gone
}

// remove deletes the entry and its data; later updates fail.
func (r *record) remove() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gone = true
	return r.j.remove(r.e.ID)
}

// quarantine moves the entry and its data to quarantine/.
func (r *record) quarantine() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gone = true
	return r.j.quarantine(r.e.ID)
}
