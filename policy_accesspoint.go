package recstore

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// checkPolicyBucket refuses a bucket a policy cannot name: an invalid one,
// and an access point alias, which IAM policies cannot name (S3 User
// Guide, "Access point aliases").
func checkPolicyBucket(cfg Config) error {
	if p := checkBucket(cfg.Bucket); p != "" {
		return setting("Bucket").problem(p)
	}
	if isAccessPoint(cfg.Bucket) && !isAccessPointARN(cfg.Bucket) {
		return setting("Bucket").problem(fmt.Sprintf("%q is an access point alias, which IAM policies cannot name; "+
			"give the access point's ARN (arn:aws:s3:<region>:<account>:accesspoint/<name>) for the policies, "+
			"and keep the alias or the ARN in the storage settings", truncate(cfg.Bucket)))
	}
	return nil
}

// AccessPointPolicy is the access point policy that the role's access
// through cfg.Bucket, an access point's ARN, needs besides the role's own
// policy: the statements of RolePolicy with opts, with the role as their
// principal. S3 allows a request through an access point only when the
// role's policy, the access point's policy and the bucket's policy all
// allow it (S3 User Guide, "Configuring IAM policies for using access
// points"); the bucket's part is AccessPointDelegation.
func AccessPointPolicy(cfg Config, opts ...PolicyOption) (Policy, error) {
	if !isAccessPointARN(cfg.Bucket) {
		return Policy{}, fmt.Errorf("%w: storageProviderBucketName %q is not an access point ARN; an access point policy "+
			"is for arn:aws:s3:<region>:<account>:accesspoint/<name>", ErrInvalidArgument, truncate(cfg.Bucket))
	}
	if p := checkRoleARN(cfg.RoleARN, ""); p != "" {
		return Policy{}, setting("RoleARN").problem(p)
	}
	role, err := RolePolicy(cfg, opts...)
	if err != nil {
		return Policy{}, err
	}
	var statements []Statement
	for _, s := range role.Statement {
		if s.Sid == "BucketKMSKey" { // a key policy's matter, not the access point's
			continue
		}
		s.Principal = map[string]string{"AWS": cfg.RoleARN}
		statements = append(statements, s)
	}
	return Policy{Version: policyVersion, Statement: statements}, nil
}

// AccessPointDelegation is the bucket policy statement with which the
// owner of bucket, the bucket behind cfg.Bucket's access point, lets the
// access points of the access point's account decide who may use the
// bucket: AWS's own statement, which allows every action through an
// access point of that account and nothing else (S3 User Guide,
// "Delegating access control to access points").
func AccessPointDelegation(cfg Config, bucket string) (Policy, error) {
	if !isAccessPointARN(cfg.Bucket) || checkAccessPointARN(cfg.Bucket) != "" {
		return Policy{}, fmt.Errorf("%w: storageProviderBucketName %q is not an access point ARN", ErrInvalidArgument, truncate(cfg.Bucket))
	}
	if p := checkBucket(bucket); p != "" || isAccessPoint(bucket) {
		return Policy{}, fmt.Errorf("%w: bucket %q: want the name of the bucket behind the access point", ErrInvalidArgument, truncate(bucket))
	}
	a, _ := arn.Parse(cfg.Bucket)
	bucketARN := "arn:" + a.Partition + ":s3:::" + bucket
	return Policy{Version: policyVersion, Statement: []Statement{{
		Sid: "DelegateToAccessPoints", Effect: "Allow", Principal: map[string]string{"AWS": "*"}, Action: StringList{"*"},
		Resource:  StringList{bucketARN, bucketARN + "/*"},
		Condition: map[string]map[string]StringList{"StringEquals": {"s3:DataAccessPointAccount": {a.AccountID}}},
	}}}, nil
}
