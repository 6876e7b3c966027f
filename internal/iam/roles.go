package iam

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/trust"
)

// Roles: CreateRole, GetRole, ListRoles and DeleteRole. A role's trust policy is what
// idpool's built-in STS evaluates (with internal/trust) before it issues credentials for
// it. The role's permissions policies are not modelled: idpool issues credentials, it does
// not authorize what they are then used for.
//
// The roles are kept by Config.Store, which must then implement storage.RoleStore too
// (storage.Store does); with a store that does not, the role actions fail with
// ServiceFailure.

// Limits of IAM's model for roles.
const (
	maxRoleNameLen        = 64
	maxPathLen            = 512
	maxPolicyDocLen       = 131072
	maxDescriptionLen     = 1000
	minSessionDuration    = 3600
	maxSessionDuration    = 43200
	defaultMaxSessionDur  = 3600
	defaultListRolesItems = 100
	maxListRolesItems     = 1000
)

var (
	roleNameRE   = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathRE       = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
	policyDocRE  = regexp.MustCompile(`^[\x09\x0A\x0D\x20-\x{FF}]+$`)
	descriptRE   = regexp.MustCompile(`^[\x09\x0A\x0D\x20-\x7E\x{A1}-\x{FF}]*$`)
	errNoRoleDB  = errors.New("iam: the store does not keep roles (it does not implement storage.RoleStore)")
	roleIDDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

type xmlRole struct {
	Path                     string             `xml:"Path"`
	RoleName                 string             `xml:"RoleName"`
	RoleID                   string             `xml:"RoleId"`
	Arn                      string             `xml:"Arn"`
	CreateDate               string             `xml:"CreateDate"`
	AssumeRolePolicyDocument string             `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string             `xml:"Description,omitempty"`
	MaxSessionDuration       int32              `xml:"MaxSessionDuration,omitempty"`
	Tags                     memberList[xmlTag] `xml:"Tags,omitempty"`
}

type createRoleResult struct {
	Role xmlRole `xml:"Role"`
}

type getRoleResult struct {
	Role xmlRole `xml:"Role"`
}

type listRolesResult struct {
	Roles       memberList[xmlRole] `xml:"Roles"`
	IsTruncated bool                `xml:"IsTruncated"`
	Marker      string              `xml:"Marker,omitempty"`
}

// encodePolicy URL-encodes a policy document as IAM does in its responses (SDKs and the
// CLI decode it). Spaces become %20 rather than +, so that both a form decoder and a
// plain percent-decoder get the document back.
func encodePolicy(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func roleXML(r *storage.Role, withTags bool) xmlRole {
	x := xmlRole{
		Path:                     r.Path,
		RoleName:                 r.Name,
		RoleID:                   r.RoleID,
		Arn:                      r.ARN,
		CreateDate:               date(r.CreatedAt),
		AssumeRolePolicyDocument: encodePolicy(r.AssumeRolePolicyDocument),
		Description:              r.Description,
		MaxSessionDuration:       r.MaxSessionDuration,
	}
	if withTags {
		x.Tags = tagList(r.Tags)
	}
	return x
}

func (h *Handler) roles() (storage.RoleStore, error) {
	rs, ok := h.store.(storage.RoleStore)
	if !ok {
		return nil, errNoRoleDB
	}
	return rs, nil
}

// roleARN formats a role's ARN: arn:aws:iam::<account>:role<path><name>.
func roleARN(accountID, path, name string) string {
	return "arn:aws:iam::" + accountID + ":role" + path + name
}

// newRoleID returns a role's unique ID: "AROA" and 17 upper-case letters and digits.
func newRoleID() string {
	b := make([]byte, 17)
	rand.Read(b)
	for i := range b {
		b[i] = roleIDDigits[int(b[i])%len(roleIDDigits)]
	}
	return "AROA" + string(b)
}

// checkRoleName validates a role name against IAM's model.
func checkRoleName(v *validation, name string) {
	v.length("roleName", name, 1, maxRoleNameLen)
	if name != "" && !roleNameRE.MatchString(name) {
		v.add("roleName", `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
}

func roleNotFound(name string) error {
	return errNoSuchEntity("The role with name %s cannot be found.", name)
}

func errMalformedPolicy(msg string) error {
	return newError("MalformedPolicyDocument", http.StatusBadRequest, "%s", msg)
}

func (h *Handler) createRole(ctx context.Context, accountID string, p params) (any, error) {
	rs, err := h.roles()
	if err != nil {
		return nil, err
	}
	var v validation
	name, ok := p.str("RoleName")
	if v.required("roleName", ok) {
		checkRoleName(&v, name)
	}
	doc, ok := p.str("AssumeRolePolicyDocument")
	if v.required("assumeRolePolicyDocument", ok) {
		v.length("assumeRolePolicyDocument", doc, 1, maxPolicyDocLen)
		if doc != "" && !policyDocRE.MatchString(doc) {
			v.add("assumeRolePolicyDocument", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
		}
	}
	path, ok := p.str("Path")
	if !ok {
		path = "/"
	} else {
		v.length("path", path, 1, maxPathLen)
		if path != "" && !pathRE.MatchString(path) {
			v.add("path", `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
		}
	}
	desc, _ := p.str("Description")
	v.length("description", desc, 0, maxDescriptionLen)
	if !descriptRE.MatchString(desc) {
		v.add("description", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
	}
	maxDur := int64(defaultMaxSessionDur)
	if s, ok := p.str("MaxSessionDuration"); ok {
		n, err := strconv.ParseInt(s, 10, 32)
		switch {
		case err != nil:
			return nil, errValidation("Invalid value for parameter MaxSessionDuration: " + strconv.Quote(s))
		case n < minSessionDuration:
			v.add("maxSessionDuration", "Member must have value greater than or equal to 3600")
		case n > maxSessionDuration:
			v.add("maxSessionDuration", "Member must have value less than or equal to 43200")
		}
		maxDur = n
	}
	tags, tagErr := checkTags(&v, p.tags("Tags"))
	if err := v.err(); err != nil {
		return nil, err
	}
	if tagErr != nil {
		return nil, tagErr
	}
	if _, err := trust.Parse(doc); err != nil {
		return nil, errMalformedPolicy("Syntax errors in policy.")
	}
	rec := &storage.Role{
		AccountID:                accountID,
		Name:                     name,
		Path:                     path,
		ARN:                      roleARN(accountID, path, name),
		RoleID:                   newRoleID(),
		AssumeRolePolicyDocument: doc,
		Description:              desc,
		MaxSessionDuration:       int32(maxDur),
		Tags:                     tags,
		CreatedAt:                h.now(),
	}
	if err := rs.CreateRole(ctx, rec); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return nil, errAlreadyExists("Role with name %s already exists.", name)
		}
		return nil, err
	}
	return &createRoleResult{Role: roleXML(rec, true)}, nil
}

// roleNameParam reads and validates the request's RoleName.
func roleNameParam(p params) (string, error) {
	var v validation
	name, ok := p.str("RoleName")
	if v.required("roleName", ok) {
		checkRoleName(&v, name)
	}
	return name, v.err()
}

func (h *Handler) getRole(ctx context.Context, accountID string, p params) (any, error) {
	rs, err := h.roles()
	if err != nil {
		return nil, err
	}
	name, err := roleNameParam(p)
	if err != nil {
		return nil, err
	}
	rec, err := rs.GetRole(ctx, accountID, name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, roleNotFound(name)
	}
	if err != nil {
		return nil, err
	}
	return &getRoleResult{Role: roleXML(rec, true)}, nil
}

func (h *Handler) deleteRole(ctx context.Context, accountID string, p params) (any, error) {
	rs, err := h.roles()
	if err != nil {
		return nil, err
	}
	name, err := roleNameParam(p)
	if err != nil {
		return nil, err
	}
	if err := rs.DeleteRole(ctx, accountID, name); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, roleNotFound(name)
		}
		return nil, err
	}
	return nil, nil
}

// listRoles pages through the account's roles in name order. Marker is the name of the
// last role of the previous page; PathPrefix keeps the roles whose path starts with it.
func (h *Handler) listRoles(ctx context.Context, accountID string, p params) (any, error) {
	rs, err := h.roles()
	if err != nil {
		return nil, err
	}
	var v validation
	prefix, ok := p.str("PathPrefix")
	if ok {
		v.length("pathPrefix", prefix, 1, maxPathLen)
	}
	marker, ok := p.str("Marker")
	if ok {
		v.length("marker", marker, 1, 320)
	}
	limit := defaultListRolesItems
	if s, ok := p.str("MaxItems"); ok {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return nil, errValidation("Invalid value for parameter MaxItems: " + strconv.Quote(s))
		case n < 1:
			v.add("maxItems", "Member must have value greater than or equal to 1")
		case n > maxListRolesItems:
			v.add("maxItems", "Member must have value less than or equal to 1000")
		}
		limit = n
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	all, err := rs.ListRoles(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := &listRolesResult{Roles: memberList[xmlRole]{}}
	for _, r := range all {
		if (marker != "" && r.Name <= marker) || !strings.HasPrefix(r.Path, prefix) {
			continue
		}
		if len(out.Roles) == limit {
			out.IsTruncated = true
			out.Marker = out.Roles[len(out.Roles)-1].RoleName
			break
		}
		out.Roles = append(out.Roles, roleXML(r, false))
	}
	return out, nil
}
