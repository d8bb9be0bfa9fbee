package main

// A settingFlag is the CLI's part of a Config setting: its flag and one
// line of help, in which a word in back quotes names the value, as in
// package flag. recstore.Settings has the rest (key, variable, rules).
type settingFlag struct {
	name, usage string
}

// settingFlags gives each recstore.Settings field its flag;
// TestSettingFlags checks that it names every field exactly once.
func settingFlags() map[string]settingFlag {
	return map[string]settingFlag{
		"Bucket":               {"bucket", "S3 bucket `name`"},
		"Region":               {"region", "the bucket's `region`, such as eu-west-1"},
		"AccessKeyID":          {"access-key-id", "base IAM user's access `key` ID"},
		"SecretAccessKey":      {"secret-access-key", "base IAM user's `secret`"},
		"RoleARN":              {"role-arn", "`ARN` of the role to assume"},
		"RoleSessionName":      {"role-session-name", "STS session `name`"},
		"ExternalID":           {"external-id", "External `ID`"},
		"SessionDuration":      {"session-duration", "session length in `seconds`, 900-43200"},
		"DisableAuthRetry":     {"disable-auth-retry", "no renewal and retry when S3 rejects the session"},
		"Endpoint":             {"endpoint", "S3 endpoint `URL` for S3-compatible stores"},
		"STSEndpoint":          {"sts-endpoint", "STS endpoint `URL`"},
		"STSRegion":            {"sts-region", "`region` STS requests are signed for (and sent to, without an STS endpoint)"},
		"KeyPrefix":            {"key-prefix", "`prefix` of every key"},
		"Checksum":             {"checksum", "upload integrity `check`: crc32 (default) or content-md5"},
		"ServerSideEncryption": {"server-side-encryption", "encryption of each object: AES256 or aws:kms (`mode`); default: the bucket's"},
		"KMSKeyID":             {"kms-key-id", "KMS `key` for aws:kms: key ARN, alias ARN, key ID or alias name; default: aws/s3"},
		"BucketKeyEnabled":     {"bucket-key-enabled", "use an S3 Bucket Key with aws:kms"},
	}
}
