package sendgrid

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/keyir/keyir/actions"
	"github.com/sendgrid/rest"
)

func init() {
	actions.Register(actions.Info{
		Name:    "sendgrid.rotate_key",
		Summary: "Create a replacement key with the same name and scopes; its secret goes only to a 0600 file or a command's stdin",
		Mutates: true,
		Outputs: []actions.Output{
			{Name: "new_key_id", Type: actions.TypeString, Description: "id of the replacement key (never its secret)"},
			{Name: "planned", Type: actions.TypeBool, Description: "dry run: the creation was refused and recorded as planned"},
		},
		New: func() actions.Action { return new(Rotate) },
	})
}

// Rotate creates a replacement for a revoked key.
type Rotate struct {
	KeyID         string   `param:"key_id,required" desc:"id of the key being replaced (its name and scopes are copied)"`
	Name          string   `param:"name" desc:"name of the old key, when it is already gone (default: read it)"`
	Scopes        []string `param:"scopes" desc:"scopes of the old key, when it is already gone (default: read them)"`
	SecretFile    string   `param:"secret_file" desc:"new file (created 0600, never overwritten) that receives the new secret"`
	SecretCommand string   `param:"secret_command" desc:"command (run without a shell) that receives the new secret on stdin, e.g. a vault writer"`
	Subuser       string   `param:"subuser" desc:"subuser that owns the key (on-behalf-of)"`
	Region        string   `param:"region" default:"global" desc:"global or eu"`
}

// Validate requires exactly one destination for the secret.
func (a *Rotate) Validate() error {
	if err := checkKeyID("key_id", a.KeyID); err != nil {
		return err
	}
	if (a.SecretFile == "") == (strings.TrimSpace(a.SecretCommand) == "") {
		return &actions.ParamError{Msg: "give exactly one of secret_file and secret_command: the new secret goes nowhere else"}
	}
	return checkRegion(a.Region)
}

// Run creates the key and hands over its secret.
func (a *Rotate) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	c0, err := newClient(env, RegionGlobal, "")
	if err != nil {
		return nil, err
	}
	// The replacement goes into the account that held the old key.
	c, err := c0.forAccount(assessAccount(env, a.KeyID, a.Subuser, a.Region))
	if err != nil {
		return nil, err
	}
	name, scopes := a.Name, a.Scopes
	if name == "" || len(scopes) == 0 {
		k, err := getKey(ctx, c, a.KeyID)
		if err != nil {
			if statusOf(err) == 404 {
				return nil, fmt.Errorf("key %s no longer exists: pass name and scopes to rotate it", a.KeyID)
			}
			return nil, err
		}
		if name == "" {
			name = k.Name
		}
		if len(scopes) == 0 {
			scopes = k.Scopes
		}
	}
	clean := []string{}
	for _, s := range scopes {
		if s = strings.TrimSpace(s); s != "" && !IsPseudoScope(s) {
			clean = append(clean, s)
		}
	}
	if len(clean) == 0 {
		// POST /v3/api_keys without scopes (or with null) creates a
		// FULL-ACCESS key: never let an empty list become one.
		return nil, fmt.Errorf("key %s has no scopes to copy: refusing to create a replacement, since SendGrid would make a key without scopes a full-access key; pass scopes explicitly", a.KeyID)
	}
	var argv []string
	if a.SecretCommand != "" {
		argv = strings.Fields(a.SecretCommand)
		if _, err := exec.LookPath(argv[0]); err != nil {
			return nil, fmt.Errorf("secret_command: %w", err)
		}
	}
	var f *os.File
	if a.SecretFile != "" && !env.DryRun() {
		// Created before the key exists, so there is always somewhere to put it.
		f, err = os.OpenFile(a.SecretFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("secret_file: %w (it must not exist yet)", err)
		}
	}
	abandon := func() {
		if f != nil {
			f.Close()
			os.Remove(a.SecretFile)
		}
	}
	newName := fmt.Sprintf("%s (rotated %s)", name, nowOf(env).UTC().Format(time.DateOnly))
	var created struct {
		APIKey   string   `json:"api_key"`
		APIKeyID string   `json:"api_key_id"`
		Scopes   []string `json:"scopes"`
	}
	_, err = c.call(ctx, rest.Post, "/v3/api_keys", map[string]any{"name": newName, "scopes": clean}, &created)
	if err != nil {
		abandon()
		if isDryRun(err) {
			return actions.Outputs{"new_key_id": "", "planned": true}, nil
		}
		return nil, err
	}
	if env.Redactor != nil {
		env.Redactor.Add(created.APIKey) // before anything else touches it
	}
	if created.APIKey == "" || created.APIKeyID == "" {
		abandon()
		return nil, errors.New("SendGrid created a key but returned no secret or id: revoke it by hand")
	}
	var werr error
	if f != nil {
		_, werr = f.WriteString(created.APIKey + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
	} else {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdin = strings.NewReader(created.APIKey + "\n")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			werr = fmt.Errorf("secret_command: %w: %s", err, env.Redactor.String(strings.TrimSpace(stderr.String())))
		}
	}
	if werr != nil {
		if f != nil {
			os.Remove(a.SecretFile)
		}
		// The secret is lost: do not leave a key nobody can use.
		_, derr := c.call(ctx, rest.Delete, "/v3/api_keys/"+escape(created.APIKeyID), nil, nil)
		if derr != nil {
			return actions.Outputs{"new_key_id": created.APIKeyID, "planned": false}, fmt.Errorf("new key %s created but its secret could not be delivered (%v), and deleting it failed (%v): delete it by hand", created.APIKeyID, werr, derr)
		}
		return nil, fmt.Errorf("new key created but its secret could not be delivered (%v); the new key was deleted again", werr)
	}
	note(env, fmt.Sprintf("replacement key %s created with %d scopes; its secret was delivered only to the configured destination", created.APIKeyID, len(clean)))
	return actions.Outputs{"new_key_id": created.APIKeyID, "planned": false}, nil
}

var (
	_ actions.Action    = (*Rotate)(nil)
	_ actions.Validator = (*Rotate)(nil)
)
