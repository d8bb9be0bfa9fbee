package diagnose

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/smithy-go"

	"github.com/auvious/recstore/internal/awsname"
)

// diagnoseSTS classifies a failed STS call, made with the base IAM user's keys.
func diagnoseSTS(e *failure, api smithy.APIError, t Target) {
	message := messageOf(api)
	switch {
	case e.Code == "AccessDenied":
		stsDenied(e, message, t)
	case strings.HasPrefix(message, "Signature expired") || strings.HasPrefix(message, "Signature not yet current") ||
		e.Code == "RequestExpired":
		e.Kind = ErrClockSkew
		e.Cause = "the local clock is more than 15 minutes behind STS's, so STS refuses the signature as expired"
		if strings.HasPrefix(message, "Signature not yet current") {
			e.Cause = "the local clock is more than 15 minutes ahead of STS's, so STS refuses the signature as not yet current"
		}
		e.Fix = FixClock
	case e.Code == "SignatureDoesNotMatch" && strings.HasPrefix(message, "Credential should be scoped to a valid region"):
		e.Kind = ErrRegionMismatch
		e.Cause = fmt.Sprintf("the STS endpoint refused a signature for Region %s: an AWS STS endpoint accepts only "+
			"its own Region's", t.STSRegion)
		e.Fix = "set storageProviderStsRegion to the Region of the STS endpoint behind storageProviderStsEndpoint " +
			"(us-east-1 for sts.amazonaws.com), or leave storageProviderStsEndpoint empty"
	case e.Code == "SignatureDoesNotMatch":
		e.Kind = ErrInvalidBaseCredentials
		e.Cause = "the secret access key does not belong to the access key ID (storageProviderAccessKeyId)"
		e.Fix = "re-enter storageProviderSecretAccessKey: the secret created together with that access key. AWS shows it " +
			"only once; if it is lost, create a new access key for the base IAM user and enter both"
	case e.Code == "InvalidClientTokenId" || e.Code == "InvalidAccessKeyId" || e.Code == "IncompleteSignature" ||
		e.Code == "MissingAuthenticationToken":
		unknownBaseKey(e, t)
	case e.Code == "ExpiredToken" || e.Code == "ExpiredTokenException" && !strings.HasPrefix(message, "Token expired"):
		e.Kind = ErrExpiredToken
		e.Cause = "the token presented while renewing the session had expired: the session duration is too short, or the clock is skewed"
		e.Fix = fixExpired
	case e.Code == "ValidationError" && strings.Contains(message, "role chaining"):
		e.Kind = ErrDurationExceedsMax
		e.Cause = "role chaining limits the session to one hour: the base identity is itself a role session (an EKS, " +
			"ECS or EC2 role, say), and AWS caps the session of a role assumed with one at one hour, whatever the " +
			"role's MaxSessionDuration"
		e.Fix = "set storageProviderSessionDurationSeconds to 3600 or less (or leave it empty: 3600)"
	case e.Code == "ValidationError" && strings.Contains(message, "DurationSeconds"):
		// STS has no code of its own for this: only the message tells.
		e.Kind = ErrDurationExceedsMax
		e.Cause = "the requested session duration is higher than the role's MaxSessionDuration (or the one-hour limit of role chaining)"
		e.Fix = fixDuration
	case isWebIdentityRefusal(e.Code, message):
		webIdentityRefused(e, message)
	case e.Code == "PackedPolicyTooLarge" || e.Code == "ValidationError" && strings.Contains(strings.ToLower(message), "tag"):
		e.Kind = ErrRejected
		e.Cause = fmt.Sprintf("STS refused the session tags the recorder sends (WithSessionTags): too many, too long "+
			"or with characters STS does not take, once packed with the session (%s: %q)", e.Code, message)
		e.Fix = "in the vendor's code, send fewer and shorter session tags (at most 50; keys up to 128 and values up to " +
			"256 characters, letters, digits, spaces and _ . : / = + - @); or stop sending them"
	case e.Code == "RegionDisabledException" || e.Code == "RegionDisabled":
		e.Kind = ErrAssumeRoleDenied
		e.Cause = fmt.Sprintf("STS is not activated in %s for the base IAM user's account", t.STSRegion)
		e.Fix = fmt.Sprintf("activate STS in %s in that account's IAM console (Account settings, Security Token Service "+
			"(STS) endpoints), or set storageProviderStsRegion to a Region where it is active (us-east-1 always is)", t.STSRegion)
	case e.Code == "Throttling" || e.Code == "ServiceUnavailable" || e.Code == "InternalFailure" || e.StatusCode >= 500:
		unavailable(e, "STS")
	}
}

// stsDenied diagnoses AccessDenied from sts:AssumeRole. AWS gives one
// message for several causes, so as not to reveal which; only an explicit
// Deny and the root user have messages of their own.
func stsDenied(e *failure, message string, t Target) {
	e.Kind = ErrAssumeRoleDenied
	d, _ := parseDenial(message)
	user := "the base IAM user"
	if strings.Contains(d.principal, ":assumed-role/") {
		user = "the base identity"
	}
	if d.principal != "" {
		user += " " + d.principal
	}
	switch {
	case isWebIdentityRefusal(e.Code, message):
		webIdentityRefused(e, message)
	case !d.explicit && (d.action == "sts:TagSession" || d.action == "sts:SetSourceIdentity"):
		trustExtra(e, d, t)
	case strings.HasPrefix(message, "Roles may not be assumed by root accounts"):
		e.Kind = ErrInvalidBaseCredentials
		e.Cause = "the base keys belong to an AWS account's root user, and AWS lets no root user assume a role"
		e.Fix = "create an IAM user with the spec's base-user policy (sts:AssumeRole on the customer's role), create an " +
			"access key for it, and enter that key in storageProviderAccessKeyId and storageProviderSecretAccessKey"
	case d.explicit:
		e.Cause = fmt.Sprintf("an explicit Deny in a %s refuses sts:AssumeRole on role %s to %s; no Allow can override a Deny",
			d.policy, t.Role, user)
		e.Fix = denyFix(d.policy, "sts:AssumeRole", t.Role, t)
	default:
		e.Cause = fmt.Sprintf("STS gives this one answer for several causes; most likely first: the External ID does not "+
			"match the sts:ExternalId condition of role %s (or is missing); the role's trust policy does not name %s as "+
			"Principal; the role does not exist; or %s's own IAM policy does not allow sts:AssumeRole on this role "+
			"(the base-user policy names each customer's role, so a new one must be added)", t.Role, user, user)
		e.Fix = fmt.Sprintf("in the customer's account: check that role %s exists, that its trust policy's Principal is "+
			"%s and that its sts:ExternalId condition equals storageProviderExternalId (re-enter storageProviderRoleArn and "+
			"storageProviderExternalId if they differ); in the vendor's account: add %s to the Resource of the "+
			"sts:AssumeRole statement of the base user's policy", t.Role, strings.TrimPrefix(user, "the base IAM user "), t.Role)
	}
}

// unknownBaseKey diagnoses STS not knowing the access key: a wrong,
// deleted or inactive key, or STS in an opt-in Region the base user's
// account has not enabled, which answers the same.
func unknownBaseKey(e *failure, t Target) {
	e.Kind = ErrInvalidBaseCredentials
	e.Cause = "AWS does not know the access key ID (storageProviderAccessKeyId): it is mistyped, deleted or inactive"
	e.Fix = "check storageProviderAccessKeyId against the base IAM user's active access keys (IAM, Security " +
		"credentials); if it was deleted or deactivated, rotate: create a new access key and update " +
		"storageProviderAccessKeyId and storageProviderSecretAccessKey"
	if t.STSIsAWS && awsname.IsOptInRegion(t.STSRegion) {
		e.Cause = fmt.Sprintf("STS was called in %s, an opt-in Region: if the base user's account has not enabled it, "+
			"STS there refuses the account's keys with this reply. Otherwise the access key ID is mistyped, deleted or "+
			"inactive", t.STSRegion)
		e.Fix = fmt.Sprintf("enable %s in the base user's AWS account (Account, AWS Regions), or set storageProviderStsRegion "+
			"to a Region that account has enabled, such as us-east-1; if neither helps, %s", t.STSRegion, e.Fix)
	}
}

// trustExtra diagnoses a refusal to tag the session (WithSessionTags) or
// set its source identity (WithSourceIdentity). AWS's reply does not say
// which policy lacks the action: the role's trust policy, or, when the
// role is in another account, the base identity's own policy too.
func trustExtra(e *failure, d denial, t Target) {
	option, what := "WithSessionTags", "session tags"
	if d.action == "sts:SetSourceIdentity" {
		option, what = "WithSourceIdentity", "a source identity"
	}
	principal := awsname.TrustPrincipal(d.principal)
	e.Cause = fmt.Sprintf("the recorder sends %s (%s), and the trust policy of role %s does not allow %s to %s",
		what, option, t.Role, principal, d.action)
	e.Fix = fmt.Sprintf("in the customer's account, add %s to the Action of the statement of role %s's trust policy "+
		"whose Principal is %s", d.action, t.Role, principal)
	if caller, err := arn.Parse(principal); err == nil && caller.AccountID != awsname.Account(t.Role) {
		e.Cause += fmt.Sprintf(", or %s's own IAM policy does not: across accounts AWS needs both", principal)
		e.Fix += fmt.Sprintf("; in account %s, add %s to the Action of %s's sts:AssumeRole statement",
			caller.AccountID, d.action, principal)
	}
	e.Fix += "; or stop sending " + what
}

// webIdentityDenied begins STS's AccessDenied for a token its role's trust
// policy does not accept (testdata/aws-errors/sts-web-identity-denied.xml).
const webIdentityDenied = "Not authorized to perform sts:AssumeRoleWithWebIdentity"

// isWebIdentityRefusal reports whether STS refused a web identity token:
// the recorder's own identity, not the customer's role.
func isWebIdentityRefusal(code, message string) bool {
	return code == "InvalidIdentityToken" || code == "InvalidIdentityTokenException" ||
		code == "ExpiredTokenException" && strings.HasPrefix(message, "Token expired") || strings.HasPrefix(message, webIdentityDenied)
}

// webIdentityRefused diagnoses STS refusing the web identity token with
// which the recorder's own role is assumed (IRSA's token file), before
// the customer's role is even asked for: the base identity is broken.
func webIdentityRefused(e *failure, message string) {
	e.Kind = ErrInvalidBaseCredentials
	switch {
	case strings.HasPrefix(message, webIdentityDenied):
		e.Cause = "the recorder's own role (AWS_ROLE_ARN) does not trust its web identity token: the role's trust " +
			"policy names another OIDC provider, or its sub or aud condition does not match the token's " +
			"(system:serviceaccount:<namespace>:<name>, sts.amazonaws.com)"
		e.Fix = "in the recorder's account, give the role in AWS_ROLE_ARN a trust statement with Principal Federated " +
			"arn:aws:iam::<account>:oidc-provider/<issuer host and path>, Action sts:AssumeRoleWithWebIdentity and " +
			"Condition StringEquals <issuer>:sub = the pod's service account and <issuer>:aud = sts.amazonaws.com"
	case e.Code == "ExpiredTokenException":
		e.Cause = "the web identity token (AWS_WEB_IDENTITY_TOKEN_FILE) had expired when the recorder traded it for " +
			"its own role's session: the file is not being refreshed, or the clock is off"
		e.Fix = "point AWS_WEB_IDENTITY_TOKEN_FILE at the projected service account token, which the kubelet " +
			"refreshes, and check time synchronisation (NTP) on the node"
	case strings.HasPrefix(message, "No OpenIDConnect provider found"):
		e.Cause = "the recorder's AWS account has no IAM OIDC identity provider for the issuer of its web identity " +
			"token (the EKS cluster's), so STS cannot verify the token"
		e.Fix = "create the IAM OIDC identity provider for that issuer in the recorder's account (for EKS: eksctl utils " +
			"associate-iam-oidc-provider --cluster <name> --approve)"
	default:
		e.Cause = "STS refused the recorder's web identity token (AWS_WEB_IDENTITY_TOKEN_FILE): " + message
		e.Fix = "check that the token file holds the pod's projected service account token with audience " +
			"sts.amazonaws.com, and that the recorder's account trusts its issuer"
	}
}
