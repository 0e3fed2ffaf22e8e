// Credential formats recognisable by their shape alone (a vendor prefix, a fixed length), after the
// formats a maintained secret-scanning ruleset (gitleaks) lists; written here, not copied. Formats
// that need a key name to be told apart from ordinary text are handled by `secret_assignment`.
import type { ScrubPattern } from "./patterns.ts";

/** A credential format: every match becomes `[token]`. A leading `(?<![\\w-])` keeps it off words. */
const token = (name: string, regex: RegExp): ScrubPattern => ({ name, regex, replace: "[token]" });

const FORMATS: readonly ScrubPattern[] = [
  token(
    "private_key",
    /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/g,
  ),
  token("jwt", /\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]{5,}/g),
  token("anthropic_key", /(?<![\w-])sk-ant-(?:api\d\d|admin\d\d|sid\d\d)-[\w-]{20,}/g),
  token("openai_style_key", /(?<![\w-])sk-(?:proj-|svcacct-|admin-|live_|test_)?[\w-]{16,}/g),
  token("stripe_key", /(?<![\w-])[rsp]k_(?:live|test|prod)_[A-Za-z0-9]{10,}/g),
  token("slack_token", /(?<![\w-])(?:xox[abposre]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]{10,}/g),
  token("github_token", /(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,})/g),
  token("npm_token", /(?<![\w-])npm_[A-Za-z0-9]{36}\b/g),
  token("pypi_token", /(?<![\w-])pypi-AgEIcHlwaS5vcmc[\w-]{50,}/g),
  token("google_api_key", /(?<![\w-])AIza[\w-]{35}/g),
  token("google_oauth_token", /(?<![\w-])ya29\.[\w-]{20,}/g),
  token("azure_ad_client_secret", /(?<![\w-])[\w~.]{3}\dQ~[\w~.-]{31,34}(?![\w~.-])/g),
  token("sendgrid_key", /(?<![\w-])SG\.[\w-]{16,32}\.[\w-]{16,64}/g),
  token("twilio_key", /\bSK[0-9a-fA-F]{32}\b/g),
  token("shopify_token", /(?<![\w-])shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}/g),
  token("digitalocean_token", /(?<![\w-])do[opr]_v1_[a-f0-9]{64}/g),
  token("vault_token", /(?<![\w-])hv[sb]\.[\w-]{90,}/g),
  token("terraform_token", /\b[a-z0-9]{14}\.atlasv1\.[\w=-]{60,}/g),
  token("huggingface_token", /(?<![\w-])(?:hf_|api_org_)[A-Za-z]{34}\b/g),
  token("linear_key", /(?<![\w-])lin_api_[A-Za-z0-9]{40}/g),
  token("postman_key", /(?<![\w-])PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}/g),
  token("pulumi_token", /(?<![\w-])pul-[a-f0-9]{40}/g),
  token("doppler_token", /(?<![\w-])dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}/g),
  token("databricks_token", /(?<![\w-])dapi[a-f0-9]{32}(?:-\d)?/g),
  token("sentry_token", /(?<![\w-])(?:sntrys_[A-Za-z0-9+/=_]{40,}|sntryu_[a-f0-9]{64})/g),
  token("new_relic_key", /(?<![\w-])(?:NRAK-[A-Z0-9]{27}|NRJS-[a-f0-9]{19}|NRII-[\w-]{32})/g),
  token("dynatrace_token", /(?<![\w-])dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}/g),
  token("square_token", /(?<![\w-])(?:sq0atp-[\w-]{22,}|sq0csp-[\w-]{40,}|EAAA[\w-]{40,})/g),
  token("age_secret_key", /AGE-SECRET-KEY-1[0-9A-Z]{58}/g),
  token("atlassian_token", /(?<![\w-])ATATT3[\w=-]{100,}/g),
  token("mailchimp_key", /\b[0-9a-f]{32}-us\d{1,2}\b/g),
  token("telegram_bot_token", /\b\d{5,16}:AA[\w-]{33}\b/g),
  token("openshift_token", /(?<![\w-])sha256~[\w-]{43}/g),
  token("perplexity_key", /(?<![\w-])pplx-[A-Za-z0-9]{48}/g),
  token("rubygems_key", /(?<![\w-])rubygems_[a-f0-9]{48}/g),
  token("planetscale_token", /(?<![\w-])pscale_(?:tkn|pw|oauth)_[\w=.-]{32,64}/g),
  token("flyio_token", /(?<![\w-])(?:fo1_[\w-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})/g),
  token("heroku_key", /(?<![\w-])HRKU-AA[\w-]{58}/g),
  token("alibaba_key", /\bLTAI[A-Za-z0-9]{20}\b/g),
  token("prefect_key", /(?<![\w-])pnu_[A-Za-z0-9]{36}/g),
  token("notion_token", /(?<![\w-])ntn_\d{11}[A-Za-z0-9]{35}/g),
  token(
    "gitlab_token",
    /(?<![\w-])(?:glpat|gldt|glft|glrt|glsoat|glptt|glcbt|glffct|glimt|glagent|gloas)-[\w-]{20,}/g,
  ),
  token(
    "aws_access_key",
    /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g,
  ),
  token(
    "grafana_token",
    /(?<![\w-])(?:glc_[A-Za-z0-9+/]{32,}={0,3}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|eyJrIjoi[A-Za-z0-9]{40,}={0,3})/g,
  ),
  token(
    "onepassword_token",
    /(?<![\w-])(?:ops_eyJ[A-Za-z0-9+/]{100,}={0,3}|A3-[A-Z0-9]{6}-[A-Z0-9-]{11,12}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})/g,
  ),
  token(
    "chat_webhook_url",
    /\bhttps?:\/\/(?:(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/\d+\/[\w-]+|[\w-]+\.webhook\.office\.com\/webhookb2\/[^\s"'<>]+)/g,
  ),
];

/** A bare AWS secret access key: 40 base64 characters mixing cases and digits, few slashes (not a path). */
function awsSecretOrKeep(match: string): string {
  const mixed = /[a-z]/.test(match) && /[A-Z]/.test(match) && /\d/.test(match);
  const separators = match.replace(/[^/+]/g, "").length;
  return mixed && separators <= 3 && !match.startsWith("/") ? "[token]" : match;
}

export const SECRET_FORMATS: readonly ScrubPattern[] = [
  ...FORMATS,
  {
    name: "aws_secret_key",
    regex: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    replace: awsSecretOrKeep,
  },
];
