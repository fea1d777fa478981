package ghtoken

import "encoding/json"
import "strings"
import "testing"

// validItems are one item of each kind as the persistence step writes them.
func validItems(t testing.TB) []planItem {
	items := []planItem{
		{ID: "fh-01", Kind: KindDeployKey, Subject: "acme-corp/api/7", Org: "acme-corp", Repo: "acme-corp/api", ResourceID: "7"},
		{ID: "fh-02", Kind: KindWebhook, Subject: "acme-corp/api/hooks/8", Org: "acme-corp", Repo: "acme-corp/api", ResourceID: "8"},
		{ID: "fh-03", Kind: KindWebhook, Subject: "acme-corp/hooks/9", Org: "acme-corp", ResourceID: "9"},
		{ID: "fh-04", Kind: KindInvitation, Subject: "ops-helper-7", Org: "acme-corp", ResourceID: "10"},
		{ID: "fh-05", Kind: KindVisibility, Subject: "acme-corp/api", Org: "acme-corp", Repo: "acme-corp/api", Was: "private"},
		{ID: "fh-06", Kind: KindVisibility, Subject: "acme-corp/web", Org: "acme-corp", Repo: "acme-corp/web", Was: "internal"},
		{ID: "fh-07", Kind: KindSSHKey, Subject: "devon/11", Org: "acme-corp", Login: "devon", ResourceID: "11"},
		{ID: "fh-08", Kind: KindInstallation, Subject: "evil-app", Org: "acme-corp", ResourceID: "12"},
	}
	for i := range items {
		rm, byHand, err := removalOf(items[i])
		if err != nil {
			t.Fatal(err)
		}
		items[i].Provider, items[i].Remove, items[i].ByHand = ProviderName, rm, byHand
	}
	return items
}

// A plan item names a resource; the request is rebuilt from it. An item
// whose request, body or by-hand reason is not the rebuilt one, or whose
// ids would put something else in the path, is refused; the removable
// kinds get the API's removal, SSH keys, app installations and a
// visibility change away from anything but private are left by hand.
func TestPlanItemsAreRebuiltNeverTrusted(t *testing.T) {
	items := validItems(t)
	want := []string{
		"DELETE /repos/acme-corp/api/keys/7", "DELETE /repos/acme-corp/api/hooks/8", "DELETE /orgs/acme-corp/hooks/9",
		"DELETE /orgs/acme-corp/invitations/10", `PATCH /repos/acme-corp/api {"private":true}`, "", "", "",
	}
	var raws []json.RawMessage
	for _, it := range items {
		b, _ := json.Marshal(it)
		raws = append(raws, b)
	}
	got, err := planItems(raws)
	if err != nil {
		t.Fatal(err)
	}
	for i, pi := range got {
		if pi.Request != want[i] || (want[i] == "") != (pi.ByHand != "") {
			t.Errorf("%s (%s): request %q by hand %q, want %q", pi.ID, pi.Kind, pi.Request, pi.ByHand, want[i])
		}
	}
	if !strings.Contains(got[6].ByHand, "cannot delete a user's SSH key") || !strings.Contains(got[7].ByHand, "JWT") {
		t.Errorf("by hand, not said why: %q / %q", got[6].ByHand, got[7].ByHand)
	}
	tamper := []func(*planItem){
		func(it *planItem) { it.Remove.Path = "/orgs/acme-corp" },
		func(it *planItem) { it.Remove.Method = "PUT" },
		func(it *planItem) { it.Remove.Body = json.RawMessage(`{"archived":true}`) },
		func(it *planItem) { it.ByHand = "nothing to see" },
		func(it *planItem) { it.Repo = "acme-corp/../../orgs/x" },
		func(it *planItem) { it.ResourceID = "7/../../8" },
		func(it *planItem) { it.Kind = "github_repo_deleted" },
	}
	for i, f := range tamper {
		it := items[0]
		f(&it)
		if err := checkItem(it); err == nil {
			t.Errorf("tamper %d accepted: %+v", i, it)
		}
	}
	// A by-hand item whose request was filled in is refused too.
	ssh := items[6]
	ssh.Remove = removal{Method: "DELETE", Path: "/user/keys/11"}
	if checkItem(ssh) == nil {
		t.Error("an SSH key with a request was accepted")
	}
	vis := items[4]
	vis.Was = "public"
	if checkItem(vis) == nil {
		t.Error("a visibility item whose baseline was public kept its PATCH")
	}
}
