package recstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
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

// A check is one step of Verify. It runs once every check in needs passed
// (or warned) and every check in after finished; otherwise it is skipped.
type check struct {
	name  string
	needs []string
	after []string
	run   func(*verification, context.Context) Check
}

// checks lists Verify's steps in report order.
func checks() []check {
	return []check{
		{name: "config", run: (*verification).checkConfig},
		{name: "base-identity", needs: []string{"config"}, run: (*verification).checkBaseIdentity},
		{name: "external-id", needs: []string{"config"}, after: []string{"base-identity"}, run: (*verification).checkExternalID},
		{name: "assume-role", needs: []string{"config"}, run: (*verification).checkAssumeRole},
		{name: "clock", needs: []string{"config"}, after: []string{"assume-role"}, run: (*verification).checkClock},
		{name: "head-bucket", needs: []string{"assume-role"}, run: (*verification).checkHeadBucket},
		{name: "versioning", needs: []string{"head-bucket"}, run: (*verification).checkVersioning},
		{name: "encryption", needs: []string{"head-bucket"}, after: []string{"upload"}, run: (*verification).checkEncryption},
		{name: "upload", needs: []string{"head-bucket"}, after: []string{"versioning"}, run: (*verification).checkUpload},
		{name: "object-lock", needs: []string{"upload"}, run: (*verification).checkObjectLock},
		{name: "copy", needs: []string{"upload"}, run: (*verification).checkCopy},
		{name: "download", needs: []string{"upload"}, run: (*verification).checkDownload},
		{name: "presign", needs: []string{"upload"}, run: (*verification).checkPresign},
		{name: "delete", needs: []string{"upload"}, after: []string{"object-lock", "copy", "download", "presign"}, run: (*verification).checkDelete},
		{name: "multipart", needs: []string{"head-bucket"}, run: (*verification).checkMultipart},
	}
}

// runChecks runs every check of list as soon as the checks before it allow, and
// returns the results in report order once all have finished.
func (v *verification) runChecks(ctx context.Context, list []check) []Check {
	results := make([]Check, len(list))
	needs, after, err := checkGraph(list)
	if err != nil { // a mistake in checks(), which TestCheckGraph catches: fail, never wait forever
		for i, c := range list {
			results[i] = Check{Name: c.name, Status: StatusFail, Err: err}
		}
		return results
	}
	done := make([]chan struct{}, len(list))
	for i := range done {
		done[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for i, c := range list {
		wg.Go(func() {
			defer close(done[i])
			for _, dep := range slices.Concat(needs[i], after[i]) {
				<-done[dep]
			}
			ctx, span := v.tel.startCheck(ctx, c.name)
			defer func() { v.tel.endCheck(span, string(results[i].Status), results[i].failure()) }()
			for _, dep := range needs[i] {
				if s := results[dep].Status; s != StatusPass && s != StatusWarn {
					results[i] = Check{Name: c.name, Status: StatusSkip, Detail: "not run: needs " + list[dep].name + ", which did not pass"}
					return
				}
			}
			start := time.Now()
			results[i] = c.run(v, ctx)
			results[i].Name, results[i].Duration = c.name, time.Since(start)
		})
	}
	wg.Wait()
	return results
}

// checkGraph resolves the names in each check's needs and after to
// indexes of list. A name that is not a check, or a cycle, is an error:
// waiting for it would last forever.
func checkGraph(list []check) (needs, after [][]int, err error) {
	index := make(map[string]int, len(list))
	for i, c := range list {
		index[c.name] = i
	}
	resolve := func(i int, names []string) ([]int, error) {
		deps := make([]int, len(names))
		for k, name := range names {
			dep, ok := index[name]
			if !ok {
				return nil, fmt.Errorf("recstore: Verify's check %q waits for %q, which is not a check", list[i].name, name)
			}
			deps[k] = dep
		}
		return deps, nil
	}
	needs, after = make([][]int, len(list)), make([][]int, len(list))
	for i, c := range list {
		if needs[i], err = resolve(i, c.needs); err != nil {
			return nil, nil, err
		}
		if after[i], err = resolve(i, c.after); err != nil {
			return nil, nil, err
		}
	}
	// Kahn's algorithm: a check whose dependencies all finish can run; any left over wait in a cycle.
	waiting := make([]int, len(list))
	for i := range list {
		waiting[i] = len(needs[i]) + len(after[i])
	}
	for ran := 0; ran < len(list); ran++ {
		next := slices.Index(waiting, 0)
		if next < 0 {
			stuck := slices.IndexFunc(waiting, func(n int) bool { return n > 0 })
			return nil, nil, fmt.Errorf("recstore: Verify's check %q waits for itself, through a cycle of checks", list[stuck].name)
		}
		waiting[next] = -1
		for i := range list {
			for _, dep := range slices.Concat(needs[i], after[i]) {
				if dep == next {
					waiting[i]--
				}
			}
		}
	}
	return needs, after, nil
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
