package main

import (
	"fmt"

	"github.com/auvious/recstore"
)

// newBucketFlags are the policy command's flags of a template that also
// creates the recordings bucket.
type newBucketFlags struct {
	create          bool
	retentionMode   string
	retentionDays   int
	abortUploadDays int
}

func (b *newBucketFlags) register(fs *flagSet) {
	fs.BoolVar(&b.create, "new-bucket", false, "with --format cloudformation or terraform: the template also creates the bucket, "+
		"made right (Block Public Access, BucketOwnerEnforced, default encryption, versioning, a lifecycle rule aborting "+
		"incomplete multipart uploads, a bucket policy refusing requests without TLS)")
	fs.StringVar(&b.retentionMode, "retention-mode", "", "with --new-bucket: turn on Object Lock with this default retention `mode` "+
		"(GOVERNANCE or COMPLIANCE), for --retention-days")
	fs.IntVar(&b.retentionDays, "retention-days", 0, "with --new-bucket and --retention-mode: the default retention in `days`")
	fs.IntVar(&b.abortUploadDays, "abort-uploads-days", 0, "with --new-bucket: abort incomplete multipart uploads after these `days` (default 7)")
}

// set reports whether a flag asks for something only a new bucket has.
func (b newBucketFlags) set() bool {
	return b.create || b.retentionMode != "" || b.retentionDays != 0 || b.abortUploadDays != 0
}

// templateOptions are the library's options of a template made with the
// policy command's flags.
func templateOptions(grants []recstore.PolicyOption, bucket newBucketFlags, store []recstore.Option) []recstore.TemplateOption {
	opts := []recstore.TemplateOption{recstore.WithStoreOptions(store...)}
	for _, g := range grants {
		opts = append(opts, g)
	}
	if bucket.create {
		opts = append(opts, recstore.WithNewBucket(recstore.NewBucket{RetentionMode: recstore.RetentionMode(bucket.retentionMode),
			RetentionDays: bucket.retentionDays, AbortIncompleteUploadsDays: bucket.abortUploadDays}))
	}
	return opts
}

// printTemplate prints the template of a --format other than json, or its
// quick-create link.
func printTemplate(c *cli, cfg recstore.Config, format, principalARN, doc, templateURL, stackName string,
	bucket newBucketFlags, opts []recstore.TemplateOption) error {
	render := map[string]func(recstore.Config, string, ...recstore.TemplateOption) (string, error){
		"cloudformation": recstore.CloudFormationRole, "terraform": recstore.TerraformRole}[format]
	switch {
	case render == nil:
		return usagef("--format %q: want json, cloudformation or terraform", format)
	case doc != "":
		return usagef("--doc and --format %s: the template holds the role's documents; give one", format)
	case bucket.set() && !bucket.create:
		return usagef("--retention-mode, --retention-days and --abort-uploads-days are settings of --new-bucket; add it")
	case templateURL != "" && format != "cloudformation":
		return usagef("--template-url makes a link to CloudFormation's console; it needs --format cloudformation")
	case templateURL != "":
		link, err := recstore.CloudFormationQuickCreateLink(cfg, templateURL, stackName, opts...)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, link)
		return nil
	case principalARN == "":
		return usagef("--format %s needs --user-arn ARN (or --principal-arn ARN): the role's trust policy names the base identity", format)
	}
	template, err := render(cfg, principalARN, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, template)
	return nil
}
