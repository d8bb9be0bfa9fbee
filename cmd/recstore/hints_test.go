package main

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHints: every document a hint points to builds from its
// placeholders, and a fix gets the command that prints each action it
// names (the grant flag's when the spec's minimum lacks it) and the flag
// of each option it names.
func TestHints(t *testing.T) {
	for _, d := range policyDocs() {
		_, err := d.build()
		require.NoError(t, err, d.command)
	}
	// The table is keyed by the library's option names, which its fixes use:
	// a renamed option must fail here, not lose its hint in silence.
	api, err := exec.Command("go", "doc", "-short", "github.com/auvious/recstore").Output()
	require.NoError(t, err)
	for option := range optionFlags() {
		assert.Contains(t, string(api), "func "+option+"(", "optionFlags names %s, which package recstore does not export", option)
	}
	for _, tc := range []struct {
		fix  string
		want []string
	}{
		{"allow s3:PutObject on arn:aws:s3:::b/* in the policy of role r",
			[]string{"recstore policy --doc role prints the document with s3:PutObject"}},
		{"optional: allow s3:GetBucketVersioning and s3:GetBucketObjectLockConfiguration on arn:aws:s3:::b",
			[]string{"recstore policy --doc role --object-lock prints the document with s3:GetBucketVersioning, s3:GetBucketObjectLockConfiguration"}},
		{"allow kms:GenerateDataKey and kms:Decrypt on k in the policy of role r",
			[]string{"recstore policy --doc role --kms-key <key ARN> prints the document with kms:GenerateDataKey, kms:Decrypt"}},
		{"add sts:TagSession to the Action of the statement of role r's trust policy",
			[]string{"recstore policy --doc trust --principal-arn <base identity ARN> --session-tag key=value prints the document with sts:TagSession"}},
		{"allow s3:PutObjectRetention on b; or verify with WithLockedProbes to write them anyway", []string{
			"recstore verify --locked-probes (for WithLockedProbes)",
			"recstore policy --doc role --object-lock prints the document with s3:PutObjectRetention"}},
		{"use https://, or open the Store with AllowInsecureEndpoint", []string{"--allow-insecure-endpoint (for AllowInsecureEndpoint)"}},
		{"synchronise the system clock (NTP)", nil},
	} {
		assert.Equal(t, tc.want, hints(tc.fix), tc.fix)
	}
}
