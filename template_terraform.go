package recstore

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// TerraformRole is the Terraform configuration (HCL, for the hashicorp/aws
// provider) of CloudFormationRole's template: variables for what the
// customer may change (external_id, bucket_name, key_prefix, kms_key_arn)
// with cfg's values as defaults, the role (aws_iam_role) with the trust
// policy of TrustPolicy for principalARN, its policy
// (aws_iam_role_policy) from RolePolicy with the PolicyOptions in opts,
// and the role's ARN as the output storage_provider_role_arn. With
// WithNewBucket it also creates the bucket, with the resources of the
// provider's version 4 and later, and outputs storage_provider_bucket_name
// and storage_provider_region.
func TerraformRole(cfg Config, principalARN string, opts ...TemplateOption) (string, error) {
	t, err := newRoleTemplate(cfg, principalARN, opts)
	if err != nil {
		return "", err
	}
	var w hclWriter
	w.comment(templateDescription + ".")
	w.comment("terraform init && terraform apply; then set storageProviderRoleArn to the output storage_provider_role_arn.")
	w.block(`terraform`, func() {
		w.block(`required_providers`, func() {
			w.attr("aws", `{ source = "hashicorp/aws", version = ">= 4.0" }`)
		})
	})
	for _, p := range t.params {
		w.block(`variable "`+p.tf+`"`, func() {
			w.attr("type", "string")
			w.attr("default", hclString(p.value))
			w.attr("description", hclString(p.description))
			if p.pattern != "" {
				w.block("validation", func() {
					w.attr("condition", fmt.Sprintf("length(var.%[1]s) >= %[2]d && length(var.%[1]s) <= %[3]d && can(regex(%[4]s, var.%[1]s))",
						p.tf, p.minLen, p.maxLen, hclString("^"+p.pattern+"$")))
					w.attr("error_message", hclString(fmt.Sprintf("The %s is %s.", p.tf, p.rule)))
				})
			}
		})
	}
	w.block(`data "aws_partition" "current"`, func() {})
	w.block(`resource "aws_iam_role" "recorder"`, func() {
		w.attr("description", `"Assumed by the call recorder to store recordings in ${var.bucket_name}"`)
		w.attr("max_session_duration", strconv.Itoa(t.maxSession))
		t.jsonencode(&w, "assume_role_policy", t.trust)
	})
	w.block(`locals`, func() {
		w.comment("The role's policy on the whole bucket, and on the keys under key_prefix.")
		t.jsonencode(&w, "whole_bucket_policy", t.role[0])
		t.jsonencode(&w, "key_prefix_policy", t.role[1])
	})
	w.block(`resource "aws_iam_role_policy" "recordings"`, func() {
		w.attr("name", `"recordings"`)
		w.attr("role", "aws_iam_role.recorder.id")
		w.attr("policy", `var.key_prefix == "" ? local.whole_bucket_policy : local.key_prefix_policy`)
	})
	w.block(`output "storage_provider_role_arn"`, func() {
		w.attr("description", hclString(roleOutputDoc))
		w.attr("value", "aws_iam_role.recorder.arn")
	})
	if t.bucket != nil {
		t.terraformBucket(&w)
	}
	return w.String(), nil
}

// terraformBucket writes the recordings bucket and its settings, each a
// resource of its own as the provider's version 4 has them.
func (t *roleTemplate) terraformBucket(w *hclWriter) {
	const bucket = "aws_s3_bucket.recordings.id"
	w.block(`resource "aws_s3_bucket" "recordings"`, func() {
		w.attr("bucket", "var.bucket_name")
		w.attr("object_lock_enabled", strconv.FormatBool(t.bucket.RetentionMode != ""))
		w.comment("Destroying the role's configuration must not delete the recordings.")
		w.block("lifecycle", func() { w.attr("prevent_destroy", "true") })
	})
	w.block(`resource "aws_s3_bucket_public_access_block" "recordings"`, func() {
		w.attr("bucket", bucket)
		for _, a := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
			w.attr(a, "true")
		}
	})
	w.block(`resource "aws_s3_bucket_ownership_controls" "recordings"`, func() {
		w.attr("bucket", bucket)
		w.block("rule", func() { w.attr("object_ownership", `"BucketOwnerEnforced"`) })
	})
	w.block(`resource "aws_s3_bucket_server_side_encryption_configuration" "recordings"`, func() {
		w.attr("bucket", bucket)
		w.block("rule", func() {
			w.block("apply_server_side_encryption_by_default", func() {
				w.attr("sse_algorithm", hclString(string(t.bucketSSE())))
				if t.kms {
					w.attr("kms_master_key_id", "var.kms_key_arn")
				}
			})
			w.attr("bucket_key_enabled", strconv.FormatBool(t.kms))
		})
	})
	w.block(`resource "aws_s3_bucket_versioning" "recordings"`, func() {
		w.attr("bucket", bucket)
		w.block("versioning_configuration", func() { w.attr("status", `"Enabled"`) })
	})
	if t.bucket.RetentionMode != "" {
		w.block(`resource "aws_s3_bucket_object_lock_configuration" "recordings"`, func() {
			w.attr("bucket", bucket)
			w.block("rule", func() {
				w.block("default_retention", func() {
					w.attr("mode", hclString(string(t.bucket.RetentionMode)))
					w.attr("days", strconv.Itoa(t.bucket.RetentionDays))
				})
			})
		})
	}
	w.block(`resource "aws_s3_bucket_lifecycle_configuration" "recordings"`, func() {
		w.attr("bucket", bucket)
		w.block("rule", func() {
			w.attr("id", `"abort-incomplete-multipart-uploads"`)
			w.attr("status", `"Enabled"`)
			w.block("filter", func() {})
			w.block("abort_incomplete_multipart_upload", func() { w.attr("days_after_initiation", strconv.Itoa(t.bucket.abortDays())) })
		})
	})
	w.block(`resource "aws_s3_bucket_policy" "recordings"`, func() {
		w.attr("bucket", bucket)
		t.jsonencode(w, "policy", t.bucketPolicy)
	})
	w.block(`output "storage_provider_bucket_name"`, func() {
		w.attr("description", `"storageProviderBucketName: the bucket made for the recordings"`)
		w.attr("value", bucket)
	})
	w.block(`output "storage_provider_region"`, func() {
		w.attr("description", `"storageProviderRegion: the bucket's Region"`)
		w.attr("value", "aws_s3_bucket.recordings.region")
	})
}

// jsonencode writes the attribute name = jsonencode(p), with p a
// document of the policy builder as an HCL object and each stand-in an
// expression of its variable.
func (t *roleTemplate) jsonencode(w *hclWriter, name string, p Policy) {
	body, _ := json.Marshal(p)
	var doc any
	json.Unmarshal(body, &doc)
	t.hclValue(w, doc, name+" = jsonencode(", ")")
}

// hclValue writes v after prefix and before suffix: a map or a list of
// maps over several lines, anything else on one.
func (t *roleTemplate) hclValue(w *hclWriter, v any, prefix, suffix string) {
	switch v := v.(type) {
	case map[string]any:
		w.line(prefix + "{")
		w.depth++
		for _, k := range slices.Sorted(maps.Keys(v)) {
			t.hclValue(w, v[k], hclKey(k)+" = ", "")
		}
		w.depth--
		w.line("}" + suffix)
	case []any:
		if !slices.ContainsFunc(v, func(e any) bool { _, isMap := e.(map[string]any); return isMap }) {
			w.assign(prefix, t.hclInline(v)+suffix)
			return
		}
		w.line(prefix + "[")
		w.depth++
		for _, e := range v {
			t.hclValue(w, e, "", ",")
		}
		w.depth--
		w.line("]" + suffix)
	default:
		w.assign(prefix, t.hclInline(v)+suffix)
	}
}

// hclInline is a string, a number, a bool or a list of them as HCL.
func (t *roleTemplate) hclInline(v any) string {
	switch v := v.(type) {
	case string:
		return t.hclString(v)
	case []any:
		items := make([]string, len(v))
		for i, e := range v {
			items[i] = t.hclInline(e)
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	body, _ := json.Marshal(v)
	return string(body)
}

// hclString is s as an HCL expression: a variable, or a quoted template
// with the variables and the account's partition interpolated.
func (t *roleTemplate) hclString(s string) string {
	pieces, whole := t.pieces(s)
	if whole != nil {
		return "var." + whole.tf
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, p := range pieces {
		switch {
		case p.partition:
			b.WriteString("${data.aws_partition.current.partition}")
		case p.param != nil:
			b.WriteString("${var." + p.param.tf + "}")
		default:
			q := hclString(p.literal)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hclKey is an object key: bare when it is an identifier, quoted else
// ("sts:ExternalId").
func hclKey(k string) string {
	for i, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '-')) {
			return hclString(k)
		}
	}
	return k
}

// hclString quotes s as an HCL string literal, with HCL's escapes: \" \\
// \n \r \t, \uNNNN for other control characters, and $${ and %%{ for
// a literal ${ or %{, which would start a template sequence.
func hclString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		case (r == '$' || r == '%') && strings.HasPrefix(s[i+1:], "{"):
			b.WriteString(string(r) + string(r))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// An hclWriter writes HCL as `terraform fmt` formats it: two spaces per
// level, and the = of consecutive one-line attributes aligned.
type hclWriter struct {
	lines []hclLine
	depth int
}

// An hclLine is a line of output; name is set for a one-line attribute.
type hclLine struct {
	depth      int
	name, text string
}

func (w *hclWriter) line(s string) { w.lines = append(w.lines, hclLine{depth: w.depth, text: s}) }

func (w *hclWriter) comment(s string) { w.line("# " + s) }

// assign writes prefix (name = ) and expr on one line: an attribute whose
// = is aligned when prefix names one, else a list element.
func (w *hclWriter) assign(prefix, expr string) {
	name, ok := strings.CutSuffix(prefix, " = ")
	if !ok {
		w.line(prefix + expr)
		return
	}
	w.lines = append(w.lines, hclLine{depth: w.depth, name: name, text: expr})
}

func (w *hclWriter) attr(name, expr string) { w.assign(name+" = ", expr) }

// block writes header { body }, a top-level block after a blank line.
func (w *hclWriter) block(header string, body func()) {
	if w.depth == 0 && len(w.lines) > 0 {
		w.line("")
	}
	w.line(header + " {")
	at := len(w.lines)
	w.depth++
	body()
	w.depth--
	if len(w.lines) == at {
		w.lines[at-1].text += "}"
		return
	}
	w.line("}")
}

func (w *hclWriter) String() string {
	var b strings.Builder
	for i := 0; i < len(w.lines); {
		j, width := i, 0
		for ; j < len(w.lines) && w.lines[j].name != ""; j++ {
			width = max(width, len(w.lines[j].name))
		}
		if j == i {
			j++
		}
		for _, l := range w.lines[i:j] {
			if l.text == "" && l.name == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString(strings.Repeat("  ", l.depth))
			if l.name != "" {
				b.WriteString(l.name + strings.Repeat(" ", width-len(l.name)) + " = ")
			}
			b.WriteString(l.text + "\n")
		}
		i = j
	}
	return b.String()
}
