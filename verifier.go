package recstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// verifyPrefix is where Verify writes its probe objects, under KeyPrefix.
const verifyPrefix = ".recstore-verify/"

// cleanupTimeout bounds Verify's clean-up, which runs even when ctx is done.
const cleanupTimeout = 15 * time.Second

// Verify tests cfg end to end, as the product's Test button does: it asks
// STS who the base identity is (naming the principal the trust policy
// must list, and noticing role chaining), then it
// assumes the role, checks the bucket, its Region, its versioning and
// Object Lock and its encryption, writes a 1-byte object, copies,
// downloads and presigns it, deletes both objects (and, in a versioned
// bucket, their versions), and starts and aborts a multipart upload. It
// never returns nil. In a bucket whose Object Lock default retention would
// keep the objects it writes, Verify gives them a retention of a few
// seconds instead, or writes nothing (see WithLockedProbes).
//
// Each check of the Report says pass, warn, fail or skip (when a check it
// needs failed), how long it took and, on failure, the error with its
// cause and fix. Whatever fails, Verify then deletes every object it wrote,
// on a context of its own, and the Report lists anything it could not
// remove. Independent checks run concurrently. The Store it opens takes
// the options of WithStoreOptions (the base identity, the HTTP client,
// telemetry), and asks STS every time, never answering from a back-off.
func Verify(ctx context.Context, cfg Config, opts ...VerifyOption) *Report {
	start := time.Now()
	var vo verifyOptions
	for _, opt := range opts {
		opt.applyVerify(&vo)
	}
	v := &verification{cfg: cfg, lockedProbes: vo.lockedProbes, written: map[string]bool{}, versions: map[string]string{},
		kept: map[string]error{}, probe: []byte{randomByte()}}
	v.keys.probe = verifyPrefix + randomHex(8)
	v.keys.copy = v.keys.probe + ".copy"
	v.keys.multipart = v.keys.probe + ".multipart"
	v.opts, v.optsErr = newStoreOptions(vo.store) // if invalid, the config check fails
	v.tel = newTelemetry(v.opts.telemetry, cfg.Bucket, nil)
	ctx, span := v.tel.startVerify(ctx, cfg.RoleARN)
	report := &Report{Bucket: cfg.Bucket, Region: cfg.Region, RoleARN: cfg.RoleARN}
	report.Checks = v.runChecks(ctx, checks())
	if v.store != nil {
		report.Leftovers = v.cleanup(ctx)
		v.store.Close()
	}
	report.Duration = time.Since(start)
	err := report.Err()
	endSpan(span, err, errorType(err))
	return report
}

// A VerifyOption configures Verify: WithLockedProbes, and WithStoreOptions
// for the Store it opens.
type VerifyOption interface{ applyVerify(*verifyOptions) }

// verifyOption is a VerifyOption that sets one field.
type verifyOption func(*verifyOptions)

func (f verifyOption) applyVerify(o *verifyOptions) { f(o) }

type verifyOptions struct {
	lockedProbes bool
	store        []Option // WithStoreOptions
}

// ReportInvalidConfig returns the Report that Verify gives for a
// configuration that cannot be used: the config check fails with err and
// every other check is skipped. It sends no request. A UI that reads the
// configuration itself (ParseConfig, LoadConfig, ConfigFromEnv) and gets an
// error shows it in the same form as any other Verify result.
func ReportInvalidConfig(cfg Config, err error) *Report {
	v := &verification{cfg: cfg, configErr: err, tel: newTelemetry(telemetryOptions{}, cfg.Bucket, nil)}
	return &Report{Bucket: cfg.Bucket, Region: cfg.Region, RoleARN: cfg.RoleARN, Checks: v.runChecks(context.Background(), checks())}
}

// verification is the state Verify's checks share.
type verification struct {
	cfg       Config
	configErr error        // set when the caller already knows cfg is unusable
	opts      storeOptions // the Store's
	optsErr   error        // why opts are invalid
	tel       *telemetry   // Verify's spans
	store     *Store       // opened by the config check; Verify uses its exported methods
	probes    probes       // and these, the operations only Verify needs
	base      baseIdentity // learned by base-identity; read after it
	clock     *dateRecorder
	probe     []byte
	keys      struct{ probe, copy, multipart string }
	uploaded  ObjectInfo // the probe, once upload passed; read after it
	lock      bucketLock // the bucket's Object Lock, once versioning read it; read after it
	// lockedProbes is WithLockedProbes; plainProbes, set by upload, means
	// the probes go without a short retention although the bucket has a default one.
	lockedProbes, plainProbes bool

	mu         sync.Mutex
	written    map[string]bool   // keys a write may have created and no delete removed
	versions   map[string]string // version IDs of the probes, in a versioned bucket
	kept       map[string]error  // probes whose versions Verify could not remove, and why
	multipart  *multipartUpload  // the multipart probe, while not aborted
	releasedAt time.Time         // when the probes' short retention is over
}

// wrote records that key may exist (or, with false, that it does not).
func (v *verification) wrote(key string, exists bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.written[key] = exists
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func randomByte() byte {
	b := []byte{0}
	rand.Read(b)
	return b[0]
}
