package recstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
)

// canary is an HTTP server on loopback that counts the connections it
// accepts: a refused endpoint must never reach it.
type canary struct {
	addr     string
	accepted atomic.Int32
}

func newCanary(t *testing.T) *canary {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c := &canary{addr: l.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "<html>the canary answered</html>")
	})}
	go srv.Serve(countingListener{l, &c.accepted}) // stopped by Close below
	t.Cleanup(func() { srv.Close() })
	return c
}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return conn, err
}

// TestPoolTenantEndpoints: a tenant Config whose Endpoint or STSEndpoint
// names loopback, localhost, the metadata service or a private address is
// refused before any connection, naming the setting; the Pool option that
// allows the address lets it through; a host allowed by name that resolves
// to loopback is refused when dialled, with nothing sent, unless a CIDR
// allows that address too.
func TestPoolTenantEndpoints(t *testing.T) {
	e := requireEnv(t)
	c := newCanary(t)
	_, port, _ := net.SplitHostPort(c.addr)
	ctx := context.Background()
	base := e.Config(e.Role)
	for _, tc := range []struct {
		name, endpoint, sts, key string
	}{
		{"loopback", "http://" + c.addr, "", "storageProviderEndpoint"},
		{"localhost", "http://localhost:" + port, "", "storageProviderEndpoint"},
		{"metadata", "https://169.254.169.254", "", "storageProviderEndpoint"},
		{"private", "https://10.0.0.5:9000", "", "storageProviderEndpoint"},
		{"metadata v6", "https://[fd00:ec2::254]", "", "storageProviderEndpoint"},
		{"STS on loopback", "", "http://" + c.addr, "storageProviderStsEndpoint"},
		{"STS at the metadata service", "", "https://169.254.169.254", "storageProviderStsEndpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := recstore.NewPool()
			require.NoError(t, err)
			defer p.Close()
			cfg := base
			cfg.Endpoint, cfg.STSEndpoint = tc.endpoint, tc.sts // the other one AWS's
			_, err = p.Store(ctx, "acme", cfg)
			require.ErrorIs(t, err, recstore.ErrInvalidConfig)
			assert.Contains(t, err.Error(), tc.key)
			assert.Contains(t, err.Error(), "WithAllowedEndpoints", "the fix")
		})
	}
	assert.Zero(t, c.accepted.Load(), "nothing reached the canary")

	// Allowed by address: the sandbox works through the Pool.
	p, err := recstore.NewPool(recstore.WithAllowedEndpoints("127.0.0.1"))
	require.NoError(t, err)
	defer p.Close()
	s, err := p.Store(ctx, "acme", base)
	require.NoError(t, err)
	_, err = s.Upload(ctx, "allowed-endpoints/call.webm", strings.NewReader("recording"))
	require.NoError(t, err)

	// Allowed by name only, but the name resolves to loopback: refused at dial time.
	byName := base
	byName.Endpoint = "http://localhost:" + port
	for _, allowed := range [][]string{{"localhost"}, {"localhost:" + port}} {
		p, err := recstore.NewPool(recstore.WithAllowedEndpoints(append(allowed, "127.0.0.1:"+stsPort(t, e))...)) // STS by IP and port
		require.NoError(t, err)
		s, err := p.Store(ctx, "acme", byName)
		require.NoError(t, err, "the name is allowed")
		_, err = s.Upload(ctx, "refused/call.webm", strings.NewReader("recording"))
		require.ErrorIs(t, err, recstore.ErrEndpointRefused, "%v", allowed)
		cause, fix, _ := recstore.Diagnose(err)
		assert.Contains(t, cause, "resolved to 127.0.0.1, a loopback address")
		assert.Contains(t, cause, "nothing was sent")
		assert.Contains(t, fix, "WithAllowedEndpoints")
		assert.NotContains(t, err.Error(), "the canary answered")
		assert.True(t, p.PoolWatches("localhost"), "a tenant's endpoint host is checked when dialled")
		assert.True(t, p.PoolWatches("recordings-444455556666.localhost"), "and so is a name under it (an access point's)")
		assert.False(t, p.PoolWatches("proxy.internal"), "a host no tenant named (an HTTP proxy) is dialled as usual")
		assert.False(t, p.PoolWatches("s3.us-east-1.amazonaws.com"))
		p.Close()
	}
	assert.Zero(t, c.accepted.Load(), "nothing reached the canary")

	// Allowed by name and by CIDR: reaches it (and gets its refusal, bounded).
	p2, err := recstore.NewPool(recstore.WithAllowedEndpoints("localhost", "127.0.0.0/8"))
	require.NoError(t, err)
	defer p2.Close()
	s, err = p2.Store(ctx, "acme", byName)
	require.NoError(t, err)
	_, err = s.Upload(ctx, "reached/call.webm", strings.NewReader("recording"))
	require.Error(t, err)
	assert.False(t, errors.Is(err, recstore.ErrEndpointRefused), "%v", err)
	assert.Positive(t, c.accepted.Load(), "the allowed CIDR reached the canary")
}

// stsPort is the port of the sandbox's STS endpoint.
func stsPort(t *testing.T, e *sandbox.Env) string {
	t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(e.STS.URL(), "http://"))
	require.NoError(t, err)
	return port
}

// TestPoolTenantExternalID: with a base identity every tenant's role
// trusts (the recorder's own), a Pool refuses to open without
// WithTenantExternalID; with it, tenant A entering B's role ARN and B's
// External ID is refused before any AssumeRole, A entering B's role ARN
// alone assumes it with A's External ID, which B's trust policy refuses,
// and each tenant's own AssumeRole carries the vendor's External ID for
// it, which Pool.Config and the trust policy show.
func TestPoolTenantExternalID(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	recorder, err := e.WebIdentityBase("recorder-of-deputies", t.TempDir())
	require.NoError(t, err)

	_, err = recstore.NewPool(sandboxEndpoints, recstore.WithStoreOptions(recstore.WithBaseCredentials(recorder.Provider)))
	require.ErrorIs(t, err, recstore.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "confused deputy")
	assert.Contains(t, err.Error(), "WithTenantExternalID")

	cfgs := map[string]recstore.Config{}
	for _, tenant := range []string{"deputy-a", "deputy-b"} {
		cfgs[tenant] = e.TrustKeyless(e.AddRole(tenant, sandbox.PrefixPolicy(e.Bucket, tenant+"/")), recorder)
		cfgs[tenant] = withPrefix(cfgs[tenant], tenant+"/")
	}
	vendorIDs := map[string]string{"deputy-a": cfgs["deputy-a"].ExternalID, "deputy-b": cfgs["deputy-b"].ExternalID}
	p, err := recstore.NewPool(sandboxEndpoints, recstore.WithStoreOptions(recstore.WithBaseCredentials(recorder.Provider)),
		recstore.WithTenantExternalID(func(tenant string) (string, error) {
			if id, ok := vendorIDs[tenant]; ok {
				return id, nil
			}
			return "", fmt.Errorf("no such customer")
		}))
	require.NoError(t, err)
	defer p.Close()
	roleB := cfgs["deputy-b"].RoleARN

	before := e.STS.AssumeRoleCalls()
	stolen := cfgs["deputy-a"]
	stolen.RoleARN, stolen.ExternalID = roleB, cfgs["deputy-b"].ExternalID
	_, err = p.Store(ctx, "deputy-a", stolen)
	require.ErrorIs(t, err, recstore.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "storageProviderExternalId")
	assert.Contains(t, err.Error(), "set by the vendor")
	assert.NotContains(t, err.Error(), cfgs["deputy-b"].ExternalID, "neither External ID is quoted")
	assert.Equal(t, before, e.STS.AssumeRoleCalls(), "no AssumeRole sent")

	stolen.ExternalID = ""
	s, err := p.Store(ctx, "deputy-a", stolen)
	require.NoError(t, err, "a role ARN alone is the tenant's to give")
	_, err = s.Upload(ctx, "stolen.webm", strings.NewReader("recording"))
	require.ErrorIs(t, err, recstore.ErrAssumeRoleDenied, "B's trust policy wants B's External ID, not A's")
	assert.Empty(t, e.STS.Sessions(roleB), "no session of B's role")

	for tenant, cfg := range cfgs {
		own := cfg
		own.ExternalID = ""
		filled, err := p.Config(tenant, own)
		require.NoError(t, err)
		assert.Equal(t, vendorIDs[tenant], filled.ExternalID, "Pool.Config shows the vendor's External ID")
		trust, err := recstore.TrustPolicy(filled, recorder.Role.ARN)
		require.NoError(t, err)
		assert.Contains(t, trust.String(), vendorIDs[tenant], "the trust policy to set")
		report := recstore.Verify(ctx, filled, recstore.WithStoreOptions(recstore.WithBaseCredentials(recorder.Provider)))
		assert.Contains(t, report.String(), vendorIDs[tenant], "Verify shows the External ID to put in the trust policy")

		s, err := p.Store(ctx, tenant, own)
		require.NoError(t, err)
		_, err = s.Upload(ctx, "own.webm", strings.NewReader("recording"))
		require.NoError(t, err, tenant)
		sessions := e.STS.Sessions(cfg.RoleARN)
		require.NotEmpty(t, sessions)
		assert.Equal(t, vendorIDs[tenant], sessions[len(sessions)-1].ExternalID, "the AssumeRole carried the vendor's External ID")
	}

	_, err = p.Store(ctx, "stranger", cfgs["deputy-a"])
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no such customer", "the vendor's own error, named")
}

func withPrefix(cfg recstore.Config, prefix string) recstore.Config {
	cfg.KeyPrefix = prefix
	return cfg
}
