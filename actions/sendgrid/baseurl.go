package sendgrid

import "github.com/keyir/keyir/actions"

// BaseURL is the base URL the client uses for region ("" = global), for
// checks outside an action (keyir doctor's reachability and clock check):
// one rule for where SendGrid is.
func BaseURL(env *actions.Env, region string) (string, error) { return baseURL(env, region) }
