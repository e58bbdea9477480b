// One working group: its members and their roles, its proposals, and its terms of reference
// (the current version's text, and every version adopted, each by its decision).
import { graphql, memberNames, nameOf } from "./graphql.js";
import { el, say, table, when } from "./dom.js";

const slug = decodeURIComponent(location.pathname.split("/")[2] || "");
const status = document.getElementById("group-status");

try {
  const [data, names] = await Promise.all([
    graphql(
      `query($slug: String!) {
        group(slug: $slug) {
          slug name convenor createdSeq
          members(first: 100) { nodes { member role sinceSeq } }
          terms { version sha256 decision text }
          termsVersions { version sha256 decision text }
        }
        proposals(group: $slug, first: 100) { nodes { seq title method status closesAt voterCount electorate } }
      }`,
      { slug },
    ),
    memberNames(),
  ]);
  const group = data.group;
  if (!group) {
    say(status, "bad", `There is no working group called “${slug}”.`);
  } else {
    document.title = `${group.name} · coopledger`;
    document.getElementById("group-name").textContent = group.name;
    const roles = { convenor: "Convenor", member: "Member", observer: "Observer (does not vote)" };
    document.getElementById("group-members").replaceChildren(
      table(
        `${group.members.nodes.length} people in ${group.name}`,
        ["Member", "Role", "Since entry"],
        group.members.nodes.map((m) => [nameOf(names, m.member), roles[m.role] || m.role, m.sinceSeq]),
        [2],
      ),
    );
    const proposals = data.proposals.nodes;
    document.getElementById("group-proposals").replaceChildren(
      proposals.length
        ? table(
            "Proposals, newest first",
            ["Proposal", "Method", "Status", "Closes", "Voted"],
            [...proposals].reverse().map((p) => [
              el("a", { href: `/proposals/${p.seq}` }, p.title),
              p.method,
              p.status,
              when(p.closesAt),
              `${p.voterCount} of ${p.electorate.length}`,
            ]),
          )
        : el("p", {}, "No proposals yet."),
    );
    document.getElementById("group-terms").replaceChildren(termsSection(group));
    status.replaceChildren();
  }
} catch (error) {
  say(status, "bad", `The group could not be shown: ${error.message}`);
}

function termsSection(group) {
  if (!group.terms) return el("p", {}, "This group has not adopted terms of reference yet.");
  const versions = [...group.termsVersions].reverse();
  return el(
    "div",
    {},
    el("p", {}, `Version ${group.terms.version}, adopted by decision `, decisionLink(group.terms.decision), "."),
    group.terms.text === null
      ? el("p", {}, "The text of this version is no longer kept; its SHA-256 is ", el("code", {}, group.terms.sha256), ".")
      : el("pre", { class: "terms" }, group.terms.text),
    versions.length > 1
      ? el(
          "details",
          {},
          el("summary", {}, `Earlier versions (${versions.length - 1})`),
          versions
            .filter((v) => v.version !== group.terms.version)
            .map((v) =>
              el(
                "section",
                {},
                el("h3", {}, `Version ${v.version}`),
                el("p", {}, "Adopted by decision ", decisionLink(v.decision), ". SHA-256 ", el("code", {}, v.sha256), "."),
                v.text === null ? el("p", {}, "Its text is no longer kept.") : el("pre", {}, v.text),
              ),
            ),
        )
      : null,
  );
}

function decisionLink(seq) {
  return el("a", { href: `/auditor?entry=${seq}` }, `entry ${seq}`);
}
