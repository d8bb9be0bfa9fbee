package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/auvious/recstore"
)

// A policyGrant is a flag of the policy command that grants the role more
// than the spec's minimum: the hints derive from the same table which
// actions each one adds.
type policyGrant struct {
	flag, value, usage string                             // value names the flag's argument; "" for a boolean flag
	option             func(string) recstore.PolicyOption // the library's option, given the flag's value
}

// exampleKMSKey stands for the customer's key where a hint needs one.
const exampleKMSKey = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

func policyGrants() []policyGrant {
	return []policyGrant{
		{flag: "kms-key", value: "<key ARN>", option: recstore.GrantKMSKey,
			usage: "`ARN` of the KMS key encrypting the bucket: adds kms:GenerateDataKey and kms:Decrypt"},
		{flag: "multipart-cleanup", option: func(string) recstore.PolicyOption { return recstore.GrantMultipartCleanup() },
			usage: "add s3:ListBucketMultipartUploads and s3:ListMultipartUploadParts, so that recstore can remove a stray upload left by a lost reply or a crash, and a spool resumes an upload from the parts S3 holds"},
		{flag: "encryption-check", option: func(string) recstore.PolicyOption { return recstore.GrantEncryptionCheck() },
			usage: "add s3:GetEncryptionConfiguration, so that verify can compare the bucket's default encryption with the config"},
		{flag: "object-lock", option: func(string) recstore.PolicyOption { return recstore.GrantObjectLock() },
			usage: "add what a versioned or Object Lock bucket asks for: reading its configuration, retention and legal holds, and deleting versions"},
	}
}

func policyCommand() command {
	var doc, userARN, principalARN, format, templateURL, stackName, bucketBehind string
	var bucket newBucketFlags
	grants := map[string]*string{}
	return command{
		name:    "policy",
		summary: "print the IAM documents the customer's AWS admin must set",
		details: "Prints, filled from the configuration: the base identity's policy (sts:AssumeRole on the role; for\n" +
			"the base IAM user, or the recorder's own role), the role's trust policy (trusting the base identity:\n" +
			"the base user, --user-arn, or the recorder's own role, --principal-arn; with --session-tag or\n" +
			"--source-identity both STS documents also allow sts:TagSession or sts:SetSourceIdentity) and the\n" +
			"role's least-privilege S3 policy on the bucket. With an External ID both STS documents carry the\n" +
			"sts:ExternalId condition; with a key prefix the S3 permissions are limited to it. With an access point's\n" +
			"ARN as the bucket, the S3 policy is on the access point, and the access point's own policy follows (and,\n" +
			"with --bucket-behind, the statement delegating the bucket to access points). --format cloudformation or\n" +
			"terraform prints the role (and, with --new-bucket, a bucket made right) as a template instead. No secret\n" +
			"is needed.",
		examples: []string{
			"policy --config storage.json --user-arn arn:aws:iam::111122223333:user/recorder-base",
			"policy --config storage.json --doc role --kms-key arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			"policy --config storage.json --format cloudformation --user-arn arn:aws:iam::111122223333:user/recorder-base > recorder-role.json",
			"policy --config storage.json --format cloudformation --user-arn arn:aws:iam::111122223333:user/recorder-base --template-url https://templates.s3.us-east-1.amazonaws.com/recorder-role.json",
		},
		flags: func(fs *flagSet) {
			fs.configFlags()
			fs.StringVar(&doc, "doc", "", "print one document: base, trust, role, key, bucket, access-point or delegation (default all that apply; key only "+
				"with --kms-key; bucket: the bucket policy refusing requests without TLS; access-point and delegation: the access "+
				"point's policy and its bucket's, when the bucket is an access point ARN)")
			fs.StringVar(&format, "format", "json", "json: the IAM documents; cloudformation: a CloudFormation template that creates the role "+
				"(trust and role policy, parameters for the External ID, bucket, prefix and KMS key, the role ARN as output); "+
				"terraform: the same as a Terraform configuration")
			bucket.register(fs)
			fs.StringVar(&templateURL, "template-url", "", "with --format cloudformation: the https `URL` where the template was uploaded; "+
				"prints the console's quick-create link to it, with the stack name and parameters filled in, instead of the template")
			fs.StringVar(&bucketBehind, "bucket-behind", "", "with an access point as the bucket: the `name` of the bucket behind it, "+
				"to print its owner's statement delegating access control to access points")
			fs.StringVar(&stackName, "stack-name", "recorder-role", "the stack name of the quick-create link")
			fs.StringVar(&userARN, "user-arn", "", "the base IAM user's `ARN`, for the trust policy")
			fs.StringVar(&principalARN, "principal-arn", "", "the base identity's `ARN` for the trust policy: a user, or the recorder's own role")
			for _, g := range policyGrants() {
				value := new(string)
				grants[g.flag] = value
				if g.value != "" {
					fs.StringVar(value, g.flag, "", g.usage)
				} else {
					fs.BoolFunc(g.flag, g.usage, func(v string) error { *value = v; return nil })
				}
			}
		},
		run: func(_ context.Context, c *cli, fs *flagSet) error {
			cfg, err := fs.configWithArgs(0, 0)
			if err != nil {
				return err
			}
			var opts []recstore.PolicyOption
			for _, g := range policyGrants() {
				if v := *grants[g.flag]; v != "" && v != "false" {
					opts = append(opts, g.option(v))
				}
			}
			kmsKey := *grants["kms-key"]
			if userARN != "" && principalARN != "" && userARN != principalARN {
				return usagef("--user-arn and --principal-arn name different principals; give one")
			}
			if format != "json" {
				return printTemplate(c, cfg, format, cmp.Or(principalARN, userARN), doc, templateURL, stackName, bucket,
					templateOptions(opts, bucket, fs.storeOptions()))
			}
			if bucket.set() || templateURL != "" {
				return usagef("--new-bucket and --template-url are for a template: add --format cloudformation or terraform")
			}
			docs, err := policies(cfg, doc, cmp.Or(principalARN, userARN), bucketBehind, kmsKey != "", opts, fs.storeOptions())
			if err != nil {
				return err
			}
			for i, d := range docs {
				if i > 0 {
					fmt.Fprintln(c.stdout)
				}
				if doc == "" {
					fmt.Fprintf(c.stdout, "# %s\n", d.title)
				}
				fmt.Fprintln(c.stdout, d.policy)
				for _, w := range d.policy.Warnings() {
					fmt.Fprintf(c.stderr, "warning: %s\n", w)
				}
			}
			return nil
		},
	}
}

type titledPolicy struct {
	title  string
	policy recstore.Policy
}

// policies builds the requested documents: "" means all three.
func policies(cfg recstore.Config, doc, principalARN, bucketBehind string, withKey bool, opts []recstore.PolicyOption,
	storeOpts []recstore.Option) ([]titledPolicy, error) {
	if !slices.Contains([]string{"", "base", "trust", "role", "key", "bucket", "access-point", "delegation"}, doc) {
		return nil, usagef("--doc %q: want base, trust, role, key, bucket, access-point or delegation", doc)
	}
	switch {
	case doc == "bucket":
		p, err := recstore.BucketPolicy(cfg)
		return []titledPolicy{{"Bucket policy (refuses requests without TLS)", p}}, err
	case doc == "delegation" && bucketBehind == "":
		return nil, usagef("--doc delegation needs --bucket-behind NAME: the bucket behind the access point, whose policy it is")
	case doc == "delegation":
		p, err := recstore.AccessPointDelegation(cfg, bucketBehind)
		return []titledPolicy{{"Bucket policy statement of the bucket behind the access point (delegates access control to access points)", p}}, err
	case doc == "access-point":
		p, err := recstore.AccessPointPolicy(cfg, opts...)
		return []titledPolicy{{"Access point policy", p}}, err
	}
	if doc == "key" && !withKey {
		return nil, usagef("--doc key needs --kms-key ARN: the key policy statement is for the KMS key of SSE-KMS")
	}
	if (doc == "" || doc == "trust") && principalARN == "" {
		return nil, usagef("--user-arn ARN (or --principal-arn ARN) is required: the trust policy names the base " +
			"identity (or use --doc base or --doc role)")
	}
	var out []titledPolicy
	add := func(name, title string, build func() (recstore.Policy, error)) error {
		if doc != "" && doc != name {
			return nil
		}
		p, err := build()
		out = append(out, titledPolicy{title, p})
		return err
	}
	if err := add("base", "Base identity policy (attach to the base IAM user whose keys recstore holds, or to the recorder's own role)", func() (recstore.Policy, error) {
		return recstore.BaseUserPolicy(cfg, storeOpts...)
	}); err != nil {
		return nil, err
	}
	if err := add("trust", "Recorder role trust policy", func() (recstore.Policy, error) {
		return recstore.TrustPolicy(cfg, principalARN, storeOpts...)
	}); err != nil {
		return nil, err
	}
	err := add("role", "Recorder role S3 permissions (least privilege)", func() (recstore.Policy, error) {
		return recstore.RolePolicy(cfg, opts...)
	})
	if err == nil && cfg.AccessPoint() {
		err = add("access-point", "Access point policy (the access point must allow the role too)", func() (recstore.Policy, error) {
			return recstore.AccessPointPolicy(cfg, opts...)
		})
	}
	if err == nil && cfg.AccessPoint() && bucketBehind != "" {
		err = add("delegation", "Bucket policy statement of the bucket behind the access point (delegates access control to access points)",
			func() (recstore.Policy, error) { return recstore.AccessPointDelegation(cfg, bucketBehind) })
	}
	if err != nil || !withKey {
		return out, err
	}
	err = add("key", "KMS key policy statement (add it to the key policy when that does not delegate to IAM, or the key is in another account)",
		func() (recstore.Policy, error) { return recstore.KMSKeyPolicy(cfg) })
	return out, err
}
