package recstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/sandbox/stsserver"
	"github.com/auvious/recstore/internal/streams"
)

// gated is a stream of size bytes that stops after its first part until
// open is closed: an upload in flight for as long as a test needs.
func gated(size int64, open <-chan struct{}) io.Reader {
	var sent int64
	return streams.Func(func(p []byte) (int, error) {
		if sent >= recstore.MinPartSize {
			<-open
		}
		if sent >= size {
			return 0, io.EOF
		}
		n := int(min(int64(len(p)), size-sent, max(recstore.MinPartSize-sent, 1<<20)))
		clear(p[:n])
		sent += int64(n)
		return n, nil
	})
}

// tenantConfig is a Config of its own for tenant i: its own role, External
// ID and key prefix in the recordings bucket.
func tenantConfig(e *sandbox.Env, name string) recstore.Config {
	prefix := name + "/"
	cfg := e.Config(e.AddRole(name, sandbox.PrefixPolicy(e.Bucket, prefix)))
	cfg.KeyPrefix = prefix
	return cfg
}

// TestPoolTenants: many tenants through one Pool, several uploads each at
// once: one sts:AssumeRole per tenant, and the same Store for an equal Config.
func TestPoolTenants(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	p := newPool(t)
	defer p.Close()
	const tenants, uploads = 20, 3
	cfgs, before := make([]recstore.Config, tenants), make([]int, tenants)
	for i := range cfgs {
		cfgs[i] = tenantConfig(e, fmt.Sprintf("pool-tenant-%d", i))
		before[i] = len(e.STS.Sessions(cfgs[i].RoleARN))
	}
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		for j := range uploads {
			wg.Go(func() {
				s, err := p.Store(ctx, fmt.Sprintf("tenant-%d", i), cfg)
				if assert.NoError(t, err) {
					_, err = s.Upload(ctx, fmt.Sprintf("call-%d", j), bytes.NewReader([]byte("recording")))
					assert.NoError(t, err)
				}
			})
		}
	}
	wg.Wait()
	st := p.Stats()
	assert.Equal(t, tenants, st.Stores)
	assert.Equal(t, int64(tenants), st.AssumeRoleCalls, "one sts:AssumeRole per tenant")
	for i, cfg := range cfgs {
		assert.Len(t, e.STS.Sessions(cfg.RoleARN), before[i]+1, "tenant %d's sessions", i)
		count := 0
		s, err := p.Store(ctx, fmt.Sprintf("tenant-%d", i), cfg)
		require.NoError(t, err)
		for _, err := range s.List(ctx, "") {
			require.NoError(t, err)
			count++
		}
		assert.Equal(t, uploads, count, "tenant %d's objects, under its own prefix", i)
	}
	a, err := p.Store(ctx, "tenant-0", cfgs[0])
	require.NoError(t, err)
	b, err := p.Store(ctx, "tenant-0", cfgs[0])
	require.NoError(t, err)
	assert.Same(t, a, b, "an equal Config gets the same Store")
}

// TestPoolKeylessBase: a Pool whose base identity is the recorder's own
// role (IRSA's web identity) serves many tenants with one
// AssumeRoleWithWebIdentity between them: the option's cache is shared by
// every Store. A tenant Config that brings keys is refused as ambiguous.
func TestPoolKeylessBase(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	pod, err := e.WebIdentityBase("recorder-of-pool", t.TempDir())
	require.NoError(t, err)
	const tenants = 8
	cfgs := make([]recstore.Config, tenants)
	externalIDs := map[string]string{}
	for i := range cfgs {
		name := fmt.Sprintf("keyless-tenant-%d", i)
		cfgs[i] = e.TrustKeyless(e.AddRole(name, sandbox.PrefixPolicy(e.Bucket, name+"/")), pod)
		cfgs[i].KeyPrefix = name + "/"
		externalIDs[fmt.Sprintf("tenant-%d", i)] = cfgs[i].ExternalID
	}
	externalIDs["tenant-with-keys"] = cfgs[0].ExternalID
	p := newPool(t, recstore.WithStoreOptions(recstore.WithBaseCredentials(pod.Provider)),
		recstore.WithTenantExternalID(func(tenant string) (string, error) { return externalIDs[tenant], nil }))
	defer p.Close()
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		wg.Go(func() {
			s, err := p.Store(ctx, fmt.Sprintf("tenant-%d", i), cfg)
			if assert.NoError(t, err) {
				_, err = s.Upload(ctx, "call", strings.NewReader("recording"))
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	podSessions := e.STS.Sessions(pod.Role.ARN)
	require.Len(t, podSessions, 1, "one session of the recorder's own role for every tenant")
	for i, cfg := range cfgs {
		sessions := e.STS.Sessions(cfg.RoleARN)
		require.Len(t, sessions, 1, "tenant %d", i)
		assert.Equal(t, podSessions[0].AssumedARN, sessions[0].Caller, "tenant %d's role was assumed by the recorder's role", i)
	}

	withKeys := cfgs[0]
	withKeys.AccessKeyID, withKeys.SecretAccessKey = e.User.AccessKeyID, e.User.SecretAccessKey
	_, err = p.Store(ctx, "tenant-with-keys", withKeys)
	require.ErrorIs(t, err, recstore.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "ambiguous")
}

// TestPoolConfigChange: a changed Config gets a new Store while the old
// one finishes its upload, and then refuses new calls; an invalid Config
// changes nothing.
func TestPoolConfigChange(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	p := newPool(t, recstore.WithStoreOptions(recstore.WithPartSize(recstore.MinPartSize)))
	defer p.Close()
	cfg := tenantConfig(e, "pool-change")
	old, err := p.Store(ctx, "acme", cfg)
	require.NoError(t, err)
	open, done := make(chan struct{}), make(chan error, 1)
	const size = recstore.MinPartSize + 100
	go func() {
		_, err := old.Upload(ctx, "long.webm", gated(size, open))
		done <- err
	}()
	require.Eventually(t, func() bool { return p.Stats().Uploads == 1 }, 10*time.Second, 5*time.Millisecond)

	rotated := cfg
	rotated.RoleSessionName = "rotated-session"
	current, err := p.Store(ctx, "acme", rotated)
	require.NoError(t, err)
	assert.NotSame(t, old, current)
	_, err = old.Stat(ctx, "long.webm")
	assert.ErrorIs(t, err, recstore.ErrClosed, "the old Store takes no new call")
	assert.Equal(t, int64(1), p.Stats().Uploads, "its upload is still counted")

	close(open)
	require.NoError(t, <-done, "the old Store's upload finishes")
	info, err := current.Stat(ctx, "long.webm")
	require.NoError(t, err)
	assert.Equal(t, int64(size), info.Size)

	invalid := rotated
	invalid.Bucket = "Bad_Bucket"
	_, err = p.Store(ctx, "acme", invalid)
	assert.ErrorIs(t, err, recstore.ErrInvalidConfig)
	still, err := p.Store(ctx, "acme", rotated)
	require.NoError(t, err)
	assert.Same(t, current, still, "an invalid Config opened nothing and closed nothing")
	assert.Equal(t, recstore.PoolStats{Stores: 1, AssumeRoleCalls: 2}, p.Stats())

	for i := range 50 { // a long-lived Pool keeps no Store it replaced once that Store is idle
		rotated.RoleSessionName = fmt.Sprintf("rotation-%d", i)
		_, err := p.Store(ctx, "acme", rotated)
		require.NoError(t, err)
	}
	assert.Zero(t, p.RetiredStores())
}

// TestPoolEviction: beyond WithMaxStores the least recently used idle
// Store is closed, and after WithIdleTimeout an idle one; a Store with an
// upload in flight never is.
func TestPoolEviction(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	cfgs := map[string]recstore.Config{}
	for _, name := range []string{"evict-busy", "evict-idle", "evict-new"} {
		cfgs[name] = tenantConfig(e, name)
	}
	for _, tc := range []struct {
		name string
		opts []recstore.PoolOption
		wait time.Duration
	}{
		{"max stores", []recstore.PoolOption{recstore.WithMaxStores(2)}, 0},
		{"idle timeout", []recstore.PoolOption{recstore.WithIdleTimeout(100 * time.Millisecond)}, 200 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPool(t, append(tc.opts, recstore.WithStoreOptions(recstore.WithPartSize(recstore.MinPartSize)))...)
			defer p.Close()
			busy, err := p.Store(ctx, "busy", cfgs["evict-busy"])
			require.NoError(t, err)
			open, done := make(chan struct{}), make(chan error, 1)
			go func() {
				_, err := busy.Upload(ctx, tc.name, gated(recstore.MinPartSize+1, open))
				done <- err
			}()
			require.Eventually(t, func() bool { return p.Stats().Uploads == 1 }, 10*time.Second, 5*time.Millisecond)
			idle, err := p.Store(ctx, "idle", cfgs["evict-idle"])
			require.NoError(t, err)
			time.Sleep(tc.wait)
			_, err = p.Store(ctx, "new", cfgs["evict-new"])
			require.NoError(t, err)

			_, err = idle.Stat(ctx, "x")
			assert.ErrorIs(t, err, recstore.ErrClosed, "the idle Store was closed")
			again, err := p.Store(ctx, "busy", cfgs["evict-busy"])
			require.NoError(t, err)
			assert.Same(t, busy, again, "the busy Store was kept")
			close(open)
			assert.NoError(t, <-done)
			assert.Equal(t, 2, p.Stats().Stores)
		})
	}
}

// TestPoolMemoryBudget: 32 uploads at once through a budget of 4 parts:
// the part buffers never exceed it (sampled throughout), the Go heap stays
// within it plus 64 MiB, and every upload lands byte-exact.
func TestPoolMemoryBudget(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	const limit, uploads, size = 4 * recstore.MinPartSize, 32, recstore.MinPartSize * 3 / 2
	p := newPool(t, recstore.WithStoreOptions(recstore.WithPartSize(recstore.MinPartSize)), recstore.WithMemoryLimit(limit))
	defer p.Close()
	cfg := tenantConfig(e, "pool-budget")
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	stop := make(chan struct{})
	var peakBuffers, peakHeap atomic.Uint64
	var sampler sync.WaitGroup
	sampler.Go(func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			peakBuffers.Store(max(peakBuffers.Load(), uint64(p.Stats().BufferBytes)))
			runtime.ReadMemStats(&m)
			peakHeap.Store(max(peakHeap.Load(), m.HeapInuse))
		}
	})
	var wg sync.WaitGroup
	for i := range uploads {
		wg.Go(func() {
			seed := sha256.Sum256([]byte{byte(i)})
			s, err := p.Store(ctx, "budget", cfg)
			if !assert.NoError(t, err) {
				return
			}
			key := fmt.Sprintf("budget-%d", i)
			_, err = s.Upload(ctx, key, streams.Random(seed, size))
			if !assert.NoError(t, err) {
				return
			}
			body, _, err := s.Download(ctx, key)
			if !assert.NoError(t, err) {
				return
			}
			defer body.Close()
			got, want := sha256.New(), sha256.New()
			io.Copy(got, body)
			io.Copy(want, streams.Random(seed, size))
			assert.Equal(t, want.Sum(nil), got.Sum(nil), "upload %d lands byte-exact", i)
		})
	}
	wg.Wait()
	close(stop)
	sampler.Wait()
	t.Logf("budget %d MiB: peak part buffers %.1f MiB, peak heap growth %.1f MiB", limit>>20,
		float64(peakBuffers.Load())/(1<<20), float64(peakHeap.Load()-min(peakHeap.Load(), base.HeapInuse))/(1<<20))
	assert.NotZero(t, peakBuffers.Load(), "the sampler saw uploads")
	assert.LessOrEqual(t, peakBuffers.Load(), uint64(limit), "part buffers in use")
	assert.LessOrEqual(t, peakHeap.Load()-min(peakHeap.Load(), base.HeapInuse), uint64(limit+64<<20), "Go heap growth")
	assert.Zero(t, p.Stats().BufferBytes, "every buffer returned")
}

// TestPoolBudgetWait: when the budget is spent, an upload waits for its
// first buffer as long as its context allows, and a cancelled wait holds
// nothing; a budget below one part is refused.
func TestPoolBudgetWait(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	p := newPool(t, recstore.WithStoreOptions(recstore.WithPartSize(recstore.MinPartSize)), recstore.WithMemoryLimit(recstore.MinPartSize))
	defer p.Close()
	s, err := p.Store(ctx, "wait", tenantConfig(e, "pool-wait"))
	require.NoError(t, err)
	open, done := make(chan struct{}), make(chan error, 1)
	go func() {
		_, err := s.Upload(ctx, "holder", gated(recstore.MinPartSize+1, open))
		done <- err
	}()
	require.Eventually(t, func() bool { return p.Stats().BufferBytes == recstore.MinPartSize }, 10*time.Second, 5*time.Millisecond)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = s.Upload(short, "waiter", bytes.NewReader([]byte("x")))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, int64(recstore.MinPartSize), p.Stats().BufferBytes, "the cancelled wait took nothing")
	close(open)
	require.NoError(t, <-done)
	_, err = s.Upload(ctx, "after", bytes.NewReader([]byte("x")))
	assert.NoError(t, err, "the buffer is free again")

}

// TestNewPoolRefusesBadOptions: NewPool reports every invalid option at
// once, naming it, before any Store opens; the Store options it would set
// for each Store itself are refused rather than ignored.
func TestNewPoolRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []recstore.PoolOption
		want []string
	}{
		{"memory limit under a part", []recstore.PoolOption{recstore.WithMemoryLimit(recstore.MinPartSize - 1)},
			[]string{"WithMemoryLimit(5242879): must hold at least one part"}},
		{"negative counts", []recstore.PoolOption{recstore.WithMaxStores(-1), recstore.WithIdleTimeout(-time.Second)},
			[]string{"WithMaxStores(-1)", "WithIdleTimeout(-1s)"}},
		{"a tenant attribute", []recstore.PoolOption{recstore.WithStoreOptions(recstore.WithTenantAttribute("acme"))},
			[]string{"WithTenantAttribute", "labels each Store with its tenant name"}},
		{"a Store's memory limit", []recstore.PoolOption{recstore.WithStoreOptions(recstore.WithMemoryLimit(64 << 20))},
			[]string{"give WithMemoryLimit to NewPool instead"}},
		{"a bad Store option", []recstore.PoolOption{recstore.WithStoreOptions(recstore.WithPartSize(1), recstore.WithConcurrency(0))},
			[]string{"WithPartSize(1)", "WithConcurrency(0)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := recstore.NewPool(tc.opts...)
			assert.Nil(t, p)
			require.ErrorIs(t, err, recstore.ErrInvalidConfig)
			for _, want := range tc.want {
				assert.ErrorContains(t, err, want)
			}
			cause, fix, ok := recstore.Diagnose(err)
			require.True(t, ok, "Diagnose explains an invalid option")
			assert.Contains(t, cause, tc.want[0])
			assert.Contains(t, fix, "correct With")
		})
	}
	_, err := recstore.Open(context.Background(), recstore.Config{}, recstore.WithSessionTags(map[string]string{"a*b": "v"}))
	_, fix, _ := recstore.Diagnose(err)
	assert.Equal(t, "correct WithSessionTags where the code gives it to Open, NewPool or Verify; nothing was sent", fix)
	p, err := recstore.NewPool(recstore.WithMaxStores(0), recstore.WithIdleTimeout(0), recstore.WithMemoryLimit(0))
	require.NoError(t, err, "zero means none, as without the options")
	assert.NoError(t, p.Close())
}

// newPool is NewPool, whose options must be valid.
func newPool(t *testing.T, opts ...recstore.PoolOption) *recstore.Pool {
	t.Helper()
	p, err := recstore.NewPool(append([]recstore.PoolOption{sandboxEndpoints}, opts...)...)
	require.NoError(t, err)
	return p
}

// TestPoolBackoff: a tenant whose role refuses it is answered from the
// back-off: one STS call for many uploads, each failing with the same
// diagnosis; Verify still asks STS; a fixed Config works at once.
func TestPoolBackoff(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	p := newPool(t)
	defer p.Close()
	cfg := tenantConfig(e, "pool-broken")
	broken := cfg
	broken.ExternalID = "not-the-one"
	for range 50 {
		s, err := p.Store(ctx, "broken", broken)
		require.NoError(t, err)
		_, err = s.Upload(ctx, "call", bytes.NewReader([]byte("x")))
		require.ErrorIs(t, err, recstore.ErrAssumeRoleDenied)
		_, fix, ok := recstore.Diagnose(err)
		assert.True(t, ok)
		assert.Contains(t, fix, "storageProviderExternalId")
	}
	st := p.Stats()
	assert.Equal(t, int64(1), st.AssumeRoleCalls, "STS asked once")
	assert.Equal(t, int64(49), st.AssumeRoleRefused)
	s, _ := p.Store(ctx, "broken", broken)
	_, err := s.Upload(ctx, "call", bytes.NewReader([]byte("x")))
	var remembered *recstore.BackoffError
	require.ErrorAs(t, err, &remembered)
	assert.WithinDuration(t, time.Now().Add(10*time.Second), remembered.Until, 2*time.Second)

	before, calls := len(e.STS.Sessions(cfg.RoleARN)), e.STS.AssumeRoleCalls()
	r := recstore.Verify(ctx, broken)
	assert.ErrorIs(t, r.Err(), recstore.ErrAssumeRoleDenied)
	assert.Greater(t, e.STS.AssumeRoleCalls(), calls, "Verify asks STS itself")
	assert.NotContains(t, r.String(), "remembered")

	// Another tenant's customer fixes the role instead, to trust the External
	// ID the tenant has: its Store asks STS again once the back-off ends.
	other := tenantConfig(e, "pool-broken-fixed") // its role wants another External ID
	other.ExternalID = "the-tenants-own"
	s, err = p.Store(ctx, "customer-fixes", other)
	require.NoError(t, err)
	_, err = s.Upload(ctx, "call", bytes.NewReader([]byte("x")))
	require.ErrorIs(t, err, recstore.ErrAssumeRoleDenied)
	e.STS.AddRole(stsserver.Role{ARN: other.RoleARN, TrustedUserARN: e.User.ARN, ExternalID: other.ExternalID,
		Policy: sandbox.PrefixPolicy(e.Bucket, other.KeyPrefix)}) // the customer's fix
	_, err = s.Upload(ctx, "call", bytes.NewReader([]byte("x")))
	require.ErrorAs(t, err, &remembered, "within the back-off STS is not asked")
	s.AdvanceBackoffClock(11 * time.Second)
	_, err = s.Upload(ctx, "call", bytes.NewReader([]byte("x")))
	require.NoError(t, err, "after the back-off the fixed role works")

	s, err = p.Store(ctx, "broken", cfg) // the operator fixes the External ID
	require.NoError(t, err)
	_, err = s.Upload(ctx, "call", bytes.NewReader([]byte("x")))
	require.NoError(t, err, "a changed Config starts without the back-off")
	assert.Len(t, e.STS.Sessions(cfg.RoleARN), before+1)
}

// TestStoreMemoryLimit: on a single Store, a budget of one part is enough
// for uploads of many parts, several at once: each needs one buffer to
// make progress, so none waits forever on another.
func TestStoreMemoryLimit(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	s := open(t, tenantConfig(e, "store-limit"), recstore.WithPartSize(recstore.MinPartSize),
		recstore.WithConcurrency(4), recstore.WithMemoryLimit(recstore.MinPartSize))
	const size = 3*recstore.MinPartSize + 7
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			seed := sha256.Sum256([]byte{byte(i), 'L'})
			info, err := s.Upload(ctx, fmt.Sprintf("limited-%d", i), streams.Random(seed, size))
			if assert.NoError(t, err) {
				assert.Equal(t, int64(size), info.Size)
				assert.True(t, strings.HasSuffix(info.Checksum, "-4"), "four parts: %s", info.Checksum)
			}
		})
	}
	wg.Wait()
}

// sandboxEndpoints lets a Pool's tenants name the sandbox's MinIO and STS
// endpoint, on loopback.
var sandboxEndpoints = recstore.WithAllowedEndpoints("127.0.0.1")
