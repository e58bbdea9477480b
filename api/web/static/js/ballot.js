// Ballot forms for each counting method. `ballotForm(method, options, rules)` returns
// { element, value }: `value()` gives the ballot object the method takes (docs/governance.md,
// "Ballots") or throws an Error saying in words what is missing.
//
// Ranked ballots are ordered with buttons (Move up, Move down, Leave out / Add), so they work by
// keyboard alone and with a screen reader, and also by dragging an item onto another.
import { el } from "./dom.js";

const MOTION_CHOICES = [
  ["agree", "Agree"],
  ["abstain", "Abstain"],
  ["disagree", "Disagree"],
  ["block", "Block (a serious objection: say why)"],
];

export function ballotForm(method, options, rules) {
  switch (method) {
    case "proposal":
    case "consent":
      return motion(method, rules);
    case "single":
      return single(options);
    case "approval":
      return approval(options, rules);
    case "irv":
    case "schulze":
      return ranked(options);
    case "score":
      return score(options, rules);
    case "dot":
      return dots(options, rules);
    default:
      throw new Error(`This page cannot show a ballot for the method “${method}”.`);
  }
}

let unique = 0;
const id = (stem) => `${stem}-${++unique}`;

function radios(legend, name, choices) {
  return el(
    "fieldset",
    {},
    el("legend", {}, legend),
    choices.map(([value, label]) => {
      const input = id(name);
      return el(
        "div",
        { class: "choice" },
        el("input", { type: "radio", name, id: input, value: String(value) }),
        el("label", { for: input, class: "inline" }, label),
      );
    }),
  );
}

function motion(method, rules) {
  const reasonId = id("reason");
  const consent = method === "consent" || rules.consent;
  const element = el(
    "div",
    {},
    radios("Your answer", "choice", MOTION_CHOICES),
    el(
      "p",
      { class: "hint" },
      consent
        ? "One block stops a consent decision, so block only for a serious objection."
        : "Outside consent mode a block counts as a disagree.",
    ),
    el("label", { for: reasonId }, "Your reason (needed for a block, optional otherwise)"),
    el("textarea", { id: reasonId, name: "reason", maxlength: "1000" }),
  );
  return {
    element,
    value() {
      const picked = element.querySelector("input[name=choice]:checked");
      if (!picked) throw new Error("Choose agree, abstain, disagree or block.");
      const reason = element.querySelector("textarea").value.trim();
      if (picked.value === "block" && !reason) throw new Error("Say why you block.");
      return reason ? { choice: picked.value, reason } : { choice: picked.value };
    },
  };
}

function single(options) {
  const element = radios("Choose one option", "choice", options.map((o, i) => [i, o]));
  return {
    element,
    value() {
      const picked = element.querySelector("input[name=choice]:checked");
      if (!picked) throw new Error("Choose one option.");
      return { choice: Number(picked.value) };
    },
  };
}

function approval(options, rules) {
  const least = rules.minChoices;
  const most = rules.maxChoices ?? options.length;
  const count = el("p", { class: "hint", "aria-live": "polite" });
  const boxes = options.map((o, i) => {
    const input = id("approve");
    return el(
      "div",
      { class: "choice" },
      el("input", { type: "checkbox", id: input, value: String(i) }),
      el("label", { for: input, class: "inline" }, o),
    );
  });
  const element = el(
    "fieldset",
    {},
    el("legend", {}, `Approve every option you support (from ${least} to ${most})`),
    boxes,
    count,
  );
  const picked = () => [...element.querySelectorAll("input:checked")].map((b) => Number(b.value));
  const show = () => (count.textContent = `You approve ${picked().length} of at most ${most}.`);
  element.addEventListener("change", show);
  show();
  return {
    element,
    value() {
      const chosen = picked();
      if (chosen.length < least) throw new Error(`Approve at least ${least} option(s).`);
      if (chosen.length > most) throw new Error(`Approve at most ${most} option(s).`);
      return { approve: chosen };
    },
  };
}

function numbers(options, legend, max, onChange) {
  return el(
    "fieldset",
    {},
    el("legend", {}, legend),
    options.map((o, i) => {
      const input = id("number");
      return el(
        "div",
        { class: "choice number" },
        el("label", { for: input }, o),
        el("input", { type: "number", id: input, min: "0", max: String(max), step: "1", value: "0", "data-option": String(i), oninput: onChange }),
      );
    }),
  );
}

function readNumbers(element, max, what) {
  const found = {};
  for (const input of element.querySelectorAll("input[type=number]")) {
    const text = input.value.trim() || "0";
    const n = Number(text);
    if (!/^\d+$/.test(text) || n > max) {
      const label = element.querySelector(`label[for="${input.id}"]`).textContent;
      throw new Error(`The ${what} for “${label}” must be a whole number from 0 to ${max}.`);
    }
    if (n > 0) found[input.dataset.option] = n;
  }
  return found;
}

function score(options, rules) {
  const element = numbers(options, `Score every option from 0 to ${rules.maxScore}`, rules.maxScore);
  return {
    element,
    value: () => ({ scores: readNumbers(element, rules.maxScore, "score") }),
  };
}

function dots(options, rules) {
  const left = el("p", { class: "hint", "aria-live": "polite", id: id("dots-left") });
  const show = () => {
    let spent = 0;
    for (const input of element.querySelectorAll("input[type=number]")) spent += Number(input.value) || 0;
    left.textContent = `You have spent ${spent} of your ${rules.dots} dots; ${rules.dots - spent} left.`;
  };
  const element = numbers(options, `Spread up to ${rules.dots} dots over the options`, rules.dots, show);
  element.append(left);
  show();
  return {
    element,
    value() {
      const given = readNumbers(element, rules.dots, "number of dots");
      const spent = Object.values(given).reduce((a, b) => a + b, 0);
      if (spent > rules.dots) throw new Error(`You have ${rules.dots} dots; you gave ${spent}.`);
      return { dots: given };
    },
  };
}

function ranked(options) {
  const live = el("p", { class: "visually-hidden", "aria-live": "assertive" });
  const ranking = el("ol", { class: "ranking", "aria-label": "Your ranking, most preferred first" });
  const unranked = el("ul", { class: "unranked", "aria-label": "Not ranked" });
  let dragged = null;

  const item = (i) => {
    const name = options[i];
    const li = el("li", { "data-option": String(i), draggable: "true" });
    li.addEventListener("dragstart", (event) => {
      dragged = li;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(i));
    });
    li.addEventListener("dragover", (event) => event.preventDefault());
    li.addEventListener("drop", (event) => {
      event.preventDefault();
      if (dragged && dragged !== li && li.parentNode === ranking) {
        ranking.insertBefore(dragged, dragged.parentNode === ranking && position(dragged) < position(li) ? li.nextSibling : li);
        render(`${options[dragged.dataset.option]} moved to place ${position(dragged) + 1}.`);
      }
    });
    li.name = name;
    return li;
  };
  const position = (li) => [...ranking.children].indexOf(li);
  const button = (label, text, action) =>
    el("button", { type: "button", class: "small secondary", "aria-label": label, onclick: action }, text);

  function render(message, focusOn) {
    for (const li of ranking.children) {
      const at = position(li);
      const name = li.name;
      li.replaceChildren(
        el("span", { class: "rank-name" }, name),
        button(`Move ${name} up`, "Move up", () => move(li, -1)),
        button(`Move ${name} down`, "Move down", () => move(li, +1)),
        button(`Leave ${name} out of your ranking`, "Leave out", () => drop(li)),
      );
      li.querySelector("button").disabled = at === 0;
      li.querySelectorAll("button")[1].disabled = at === ranking.children.length - 1;
    }
    for (const li of unranked.children) {
      li.replaceChildren(
        el("span", { class: "rank-name" }, li.name),
        button(`Add ${li.name} to your ranking`, "Add to ranking", () => add(li)),
      );
    }
    if (message) live.textContent = message;
    if (focusOn) focusOn.focus();
  }
  function move(li, step) {
    const at = position(li) + step;
    if (at < 0 || at >= ranking.children.length) return;
    const label = step < 0 ? "up" : "down";
    ranking.insertBefore(li, step < 0 ? ranking.children[at] : ranking.children[at].nextSibling);
    render(`${li.name} moved ${label}, now in place ${position(li) + 1} of ${ranking.children.length}.`);
    li.querySelector(`button[aria-label="Move ${li.name} ${label}"]`).focus();
    if (document.activeElement.disabled || document.activeElement === document.body) li.querySelector("button:not(:disabled)").focus();
  }
  function drop(li) {
    unranked.append(li);
    render(`${li.name} left out of your ranking.`, li.querySelector("button"));
  }
  function add(li) {
    ranking.append(li);
    render(`${li.name} added in place ${position(li) + 1}.`, li.querySelector("button:not(:disabled)"));
  }

  options.forEach((_, i) => ranking.append(item(i)));
  render();
  const element = el(
    "fieldset",
    {},
    el("legend", {}, "Rank the options, most preferred first"),
    el(
      "p",
      { class: "hint" },
      "Move options up and down with the buttons, or drag them. Leave out any option you would not support at all.",
    ),
    ranking,
    el("h3", {}, "Not ranked"),
    unranked,
    live,
  );
  return {
    element,
    value() {
      const order = [...ranking.children].map((li) => Number(li.dataset.option));
      if (!order.length) throw new Error("Rank at least one option.");
      return { ranking: order };
    },
  };
}
