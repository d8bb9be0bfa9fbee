package recstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// A check is one step of Verify. It runs once every check in needs passed
// (or warned) and every check in after finished; otherwise it is skipped.
// A check of the bucket's own configuration, which S3 answers only on the
// bucket itself and not through an access point, names it in bucketOnly:
// through an access point it is skipped, saying so.
type check struct {
	name       string
	needs      []string
	after      []string
	bucketOnly string
	run        func(*verification, context.Context) Check
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
		{name: "versioning", needs: []string{"head-bucket"}, run: (*verification).checkVersioning,
			bucketOnly: "a bucket's versioning and Object Lock configuration (GetBucketVersioning, GetObjectLockConfiguration)"},
		{name: "encryption", needs: []string{"head-bucket"}, after: []string{"upload"}, run: (*verification).checkEncryption,
			bucketOnly: "a bucket's default encryption (GetBucketEncryption)"},
		{name: "upload", needs: []string{"head-bucket"}, after: []string{"versioning"}, run: (*verification).checkUpload},
		{name: "object-lock", needs: []string{"upload"}, run: (*verification).checkObjectLock,
			bucketOnly: "whether a bucket has Object Lock (GetObjectLockConfiguration, which this check needs)"},
		{name: "copy", needs: []string{"upload"}, run: (*verification).checkCopy},
		{name: "download", needs: []string{"upload"}, run: (*verification).checkDownload},
		{name: "presign", needs: []string{"upload"}, run: (*verification).checkPresign},
		{name: "delete", needs: []string{"upload"}, after: []string{"object-lock", "copy", "download", "presign"}, run: (*verification).checkDelete},
		{name: "multipart", needs: []string{"head-bucket"}, run: (*verification).checkMultipart},
	}
}

// notThroughAccessPoint says why a check of the bucket's configuration
// did not run.
func notThroughAccessPoint(what string) string {
	return "not run through an access point: S3 answers " + what + " only on the bucket itself, not through an access " +
		"point (S3 User Guide, \"Access point compatibility\"); the bucket's owner can see it in the S3 console, on the bucket's Properties tab"
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
			if c.bucketOnly != "" && isAccessPoint(v.cfg.Bucket) {
				results[i] = Check{Name: c.name, Status: StatusSkip, Detail: notThroughAccessPoint(c.bucketOnly)}
				if c.name == "versioning" && !v.lockedProbes {
					results[i].Detail += "; if the bucket has an Object Lock default retention, it would keep Verify's " +
						"probes: verify with WithLockedProbes"
				}
				return
			}
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
