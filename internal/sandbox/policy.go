package sandbox

import (
	"slices"

	"github.com/auvious/recstore"
)

// RolePolicy is recstore's role policy for bucket, less the actions in
// omit (to provoke AccessDenied), as a MinIO session policy.
func RolePolicy(bucket string, omit ...string) string {
	return PrefixPolicy(bucket, "", omit...)
}

// PrefixPolicy is RolePolicy for a role limited to keys under prefix.
func PrefixPolicy(bucket, prefix string, omit ...string) string {
	p, err := recstore.RolePolicy(recstore.Config{Bucket: bucket, KeyPrefix: prefix})
	if err != nil {
		return "invalid bucket name: " + err.Error() // MinIO refuses it, and the test fails loudly
	}
	return Without(p, omit...).String()
}

// Without returns p less the given actions, dropping statements left empty.
func Without(p recstore.Policy, actions ...string) recstore.Policy {
	var kept []recstore.Statement
	for _, s := range p.Statement {
		s.Action = slices.DeleteFunc(slices.Clone(s.Action), func(a string) bool { return slices.Contains(actions, a) })
		if len(s.Action) > 0 {
			kept = append(kept, s)
		}
	}
	p.Statement = kept
	return p
}
