package recstore_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/auvious/recstore"
)

// A terraformConfig is TerraformRole's output as HashiCorp's HCL parser
// reads it, with an evaluation context of its variables' defaults and of
// what Terraform would know once the resources exist.
type terraformConfig struct {
	body      *hclsyntax.Body
	variables map[string]cty.Value
	resources map[string]*hclsyntax.Block // by "type.name"
	outputs   map[string]*hclsyntax.Block
	locals    map[string]hcl.Expression
}

func parseTerraform(t *testing.T, src string) *terraformConfig {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "recorder-role.tf", hcl.InitialPos)
	require.False(t, diags.HasErrors(), "HCL's parser reads it: %s\n%s", diags, src)
	c := &terraformConfig{body: file.Body.(*hclsyntax.Body), variables: map[string]cty.Value{},
		resources: map[string]*hclsyntax.Block{}, outputs: map[string]*hclsyntax.Block{},
		locals: map[string]hcl.Expression{}}
	for _, b := range c.body.Blocks {
		switch b.Type {
		case "variable":
			value, diags := b.Body.Attributes["default"].Expr.Value(nil)
			require.False(t, diags.HasErrors(), "variable %s: %s", b.Labels[0], diags)
			c.variables[b.Labels[0]] = value
		case "resource":
			c.resources[b.Labels[0]+"."+b.Labels[1]] = b
		case "output":
			c.outputs[b.Labels[0]] = b
		case "locals":
			for name, a := range b.Body.Attributes {
				c.locals[name] = a.Expr
			}
		}
	}
	return c
}

// eval evaluates an expression of the configuration, with vars over the
// variables' defaults.
func (c *terraformConfig) eval(t *testing.T, expr hcl.Expression, vars map[string]cty.Value) cty.Value {
	t.Helper()
	all := map[string]cty.Value{}
	for k, v := range c.variables {
		all[k] = v
	}
	for k, v := range vars {
		all[k] = v
	}
	ctx := &hcl.EvalContext{Functions: map[string]function.Function{"jsonencode": stdlib.JSONEncodeFunc, "regex": stdlib.RegexFunc,
		"can": tryfunc.CanFunc, "length": stdlib.StrlenFunc}} // Terraform's length of a string
	ctx.Variables = map[string]cty.Value{
		"var":  cty.ObjectVal(all),
		"data": cty.ObjectVal(map[string]cty.Value{"aws_partition": cty.ObjectVal(map[string]cty.Value{"current": cty.ObjectVal(map[string]cty.Value{"partition": cty.StringVal("aws")})})}),
		"aws_iam_role": cty.ObjectVal(map[string]cty.Value{"recorder": cty.ObjectVal(map[string]cty.Value{
			"id": cty.StringVal("recorder"), "arn": cty.StringVal("arn:aws:iam::444455556666:role/recorder")})}),
		"aws_s3_bucket": cty.ObjectVal(map[string]cty.Value{"recordings": cty.ObjectVal(map[string]cty.Value{
			"id": all["bucket_name"], "region": cty.StringVal("us-east-1")})}),
	}
	locals := map[string]cty.Value{} // locals refer to variables, not to each other
	for name, e := range c.locals {
		v, diags := e.Value(ctx)
		require.False(t, diags.HasErrors(), "local %s: %s", name, diags)
		locals[name] = v
	}
	ctx.Variables["local"] = cty.ObjectVal(locals)
	v, diags := expr.Value(ctx)
	require.False(t, diags.HasErrors(), "%s", diags)
	return v
}

// policy evaluates a resource's policy attribute into a Policy.
func (c *terraformConfig) policy(t *testing.T, resource, attr string, vars map[string]cty.Value) recstore.Policy {
	t.Helper()
	block, ok := c.resources[resource]
	require.True(t, ok, "the configuration has %s", resource)
	a, ok := block.Body.Attributes[attr]
	require.True(t, ok, "%s has %s", resource, attr)
	var p recstore.Policy
	require.NoError(t, json.Unmarshal([]byte(c.eval(t, a.Expr, vars).AsString()), &p))
	return p
}

// TestTerraformRole: every variant parses with HashiCorp's HCL parser, is
// formatted as `terraform fmt` formats it, its variables' validations
// accept their defaults, and its policies, evaluated as Terraform would,
// are exactly the policy builder's for the Config, with or without a key
// prefix.
func TestTerraformRole(t *testing.T) {
	for _, tc := range templateCases() {
		t.Run(tc.name, func(t *testing.T) {
			src, err := recstore.TerraformRole(tc.cfg, templateBase, tc.opts()...)
			require.NoError(t, err)
			assert.Equal(t, string(hclwrite.Format([]byte(src))), src, "formatted as terraform fmt formats it")
			c := parseTerraform(t, src)
			for _, b := range c.body.Blocks {
				if b.Type != "variable" {
					continue
				}
				for _, v := range b.Body.Blocks {
					assert.True(t, c.eval(t, v.Body.Attributes["condition"].Expr, nil).True(), "%s's default passes its validation", b.Labels[0])
				}
			}

			wantTrust, err := recstore.TrustPolicy(tc.cfg, templateBase, tc.store...)
			require.NoError(t, err)
			assert.Equal(t, wantTrust.String(), c.policy(t, "aws_iam_role.recorder", "assume_role_policy", nil).String())
			for _, prefix := range []string{tc.cfg.KeyPrefix, "", "other-tenant/"} {
				cfg := tc.cfg
				cfg.KeyPrefix = prefix
				wantRole, err := recstore.RolePolicy(cfg, tc.roleGrants()...)
				require.NoError(t, err)
				assert.Equal(t, wantRole.String(), c.policy(t, "aws_iam_role_policy.recordings", "policy",
					map[string]cty.Value{"key_prefix": cty.StringVal(prefix)}).String(), "key prefix %q", prefix)
			}
			assert.Equal(t, "arn:aws:iam::444455556666:role/recorder",
				c.eval(t, c.outputs["storage_provider_role_arn"].Body.Attributes["value"].Expr, nil).AsString())

			_, hasBucket := c.resources["aws_s3_bucket.recordings"]
			require.Equal(t, tc.bucket != nil, hasBucket, "a bucket only with WithNewBucket")
			if tc.bucket != nil {
				wantBucket, err := recstore.BucketPolicy(tc.cfg)
				require.NoError(t, err)
				assert.Equal(t, wantBucket.String(), c.policy(t, "aws_s3_bucket_policy.recordings", "policy", nil).String())
				_, locked := c.resources["aws_s3_bucket_object_lock_configuration.recordings"]
				assert.Equal(t, tc.bucket.RetentionMode != "", locked, "Object Lock only with a retention")
			}
		})
	}
}

// TestTemplatesGrantTheSameActions: for every combination of the grants,
// the recorder's session tags and source identity, a key prefix and a new
// bucket, the CloudFormation template, the Terraform configuration and
// the JSON policies of `recstore policy` name the same set of actions.
func TestTemplatesGrantTheSameActions(t *testing.T) {
	grants := []recstore.PolicyOption{recstore.GrantKMSKey(templateKMSKey), recstore.GrantMultipartCleanup(),
		recstore.GrantEncryptionCheck(), recstore.GrantObjectLock()}
	stores := []recstore.Option{recstore.WithSessionTags(map[string]string{"tenant": "acme"}), recstore.WithSourceIdentity("recorder")}
	const options = 8
	for combo := range 1 << options {
		tc := templateCase{name: fmt.Sprintf("%08b", combo), cfg: templateCases()[0].cfg}
		for i, g := range grants {
			if combo&(1<<i) != 0 {
				tc.grants = append(tc.grants, g)
			}
		}
		for i, o := range stores {
			if combo&(1<<(len(grants)+i)) != 0 {
				tc.store = append(tc.store, o)
			}
		}
		if combo&(1<<6) != 0 {
			tc.cfg.KeyPrefix = "acme/"
		}
		if combo&(1<<7) != 0 {
			tc.bucket = &recstore.NewBucket{}
		}
		trust, err := recstore.TrustPolicy(tc.cfg, templateBase, tc.store...)
		require.NoError(t, err)
		role, err := recstore.RolePolicy(tc.cfg, tc.roleGrants()...)
		require.NoError(t, err)
		want := actionSet(trust, role)

		cfn, err := recstore.CloudFormationRole(tc.cfg, templateBase, tc.opts()...)
		require.NoError(t, err)
		var template struct{ Resources map[string]any }
		require.NoError(t, json.Unmarshal([]byte(cfn), &template))
		assert.Equal(t, want, collectActions(template.Resources["RecorderRole"], map[string]bool{}), "CloudFormation, %s", tc.name)

		tf, err := recstore.TerraformRole(tc.cfg, templateBase, tc.opts()...)
		require.NoError(t, err)
		c := parseTerraform(t, tf)
		var policies []recstore.Policy
		for _, prefix := range []string{"", "acme/"} {
			vars := map[string]cty.Value{"key_prefix": cty.StringVal(prefix)}
			policies = append(policies, c.policy(t, "aws_iam_role.recorder", "assume_role_policy", vars),
				c.policy(t, "aws_iam_role_policy.recordings", "policy", vars))
		}
		assert.Equal(t, want, actionSet(policies...), "Terraform, %s", tc.name)
	}
}

// actionSet is the set of actions the policies name.
func actionSet(policies ...recstore.Policy) map[string]bool {
	set := map[string]bool{}
	for _, p := range policies {
		for _, s := range p.Statement {
			for _, a := range s.Action {
				set[a] = true
			}
		}
	}
	return set
}

// collectActions adds the values of every "Action" in a decoded template
// to set.
func collectActions(v any, set map[string]bool) map[string]bool {
	switch v := v.(type) {
	case map[string]any:
		for k, inner := range v {
			if k != "Action" {
				collectActions(inner, set)
				continue
			}
			var actions recstore.StringList
			body, _ := json.Marshal(inner)
			json.Unmarshal(body, &actions)
			for _, a := range actions {
				set[a] = true
			}
		}
	case []any:
		for _, inner := range v {
			collectActions(inner, set)
		}
	}
	return set
}

// TestTerraformRoleEscapes: a value with HCL's template sequences (${ and
// %{), quotes and backslashes stays literal: the variable's default reads
// back as the value, and the policy under it is the builder's.
func TestTerraformRoleEscapes(t *testing.T) {
	cfg := templateCases()[0].cfg
	cfg.KeyPrefix = `calls/${tenant}/%{if}/"q"\b/`
	src, err := recstore.TerraformRole(cfg, templateBase)
	require.NoError(t, err)
	c := parseTerraform(t, src)
	assert.Equal(t, cfg.KeyPrefix, c.variables["key_prefix"].AsString())
	want, err := recstore.RolePolicy(cfg)
	require.NoError(t, err)
	assert.Equal(t, want.String(), c.policy(t, "aws_iam_role_policy.recordings", "policy", nil).String())
}
