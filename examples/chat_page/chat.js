// The chat page: talks to the JSON endpoints of chat_app.py with fetch(), no libraries.
// The open conversation's id is kept in the address (#chat-...), so a reload shows it again.
"use strict";

const $ = (id) => document.getElementById(id);
let current = null; // the open Conversation, or null for a new one

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = data && data.detail;
    throw new Error(typeof detail === "string" ? detail : `${response.status} ${response.statusText}`);
  }
  return data;
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

function render() {
  const history = $("history");
  history.replaceChildren();
  for (const message of current ? current.messages : []) {
    const item = document.createElement("li");
    item.className = message.role;
    const role = document.createElement("span");
    role.className = "role";
    role.textContent = message.role === "user" ? "You" : "Assistant";
    item.append(role, document.createTextNode(message.content));
    history.append(item);
  }
  const waiting = current && current.waiting_for;
  $("question").hidden = !waiting;
  if (waiting) {
    $("prompt").textContent = waiting.prompt;
    $("question-node").textContent = waiting.node;
    $("question-key").textContent = waiting.response_key;
  }
  const open = !current || Boolean(waiting);
  $("composer").hidden = !open;
  $("text-label").textContent = current ? "Your answer" : "Your first message";
  $("title").textContent = current ? current.workflow_id : "New conversation";
  $("status").textContent = !current
    ? "Say something to start a conversation."
    : waiting ? "Paused: waiting for your answer."
    : current.status === "completed" ? "This conversation has ended."
    : `Status: ${current.status}`;
  for (const link of document.querySelectorAll("#conversations a")) {
    link.setAttribute("aria-current", String(Boolean(current) && link.dataset.id === current.workflow_id));
  }
}

async function loadList() {
  const list = $("conversations");
  const items = await api("GET", "/conversations");
  list.replaceChildren();
  for (const summary of items) {
    const link = document.createElement("a");
    link.href = `#${summary.workflow_id}`;
    link.dataset.id = summary.workflow_id;
    const state = document.createElement("span");
    state.className = "state";
    state.textContent = summary.status;
    link.append(document.createTextNode(summary.title || summary.workflow_id), state);
    const item = document.createElement("li");
    item.append(link);
    list.append(item);
  }
  render();
}

async function open(workflowId) {
  showError("");
  current = workflowId ? await api("GET", `/conversations/${encodeURIComponent(workflowId)}`) : null;
  render();
}

async function send(event) {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  $("send").disabled = true;
  showError("");
  try {
    current = current
      ? await api("POST", `/conversations/${encodeURIComponent(current.workflow_id)}/messages`, { text })
      : await api("POST", "/conversations", { text });
    $("text").value = "";
    if (location.hash !== `#${current.workflow_id}`) history.replaceState(null, "", `#${current.workflow_id}`);
    render();
    await loadList();
  } catch (error) {
    showError(error.message);
  } finally {
    $("send").disabled = false;
    $("text").focus();
  }
}

function fromHash() {
  return open(decodeURIComponent(location.hash.slice(1))).catch((error) => {
    current = null;
    render();
    showError(error.message);
  });
}

$("composer").addEventListener("submit", send);
$("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) send(event);
});
$("new-conversation").addEventListener("click", () => {
  history.replaceState(null, "", location.pathname);
  open(null);
  $("text").focus();
});
window.addEventListener("hashchange", fromHash);
Promise.all([loadList(), fromHash()]).catch((error) => showError(error.message));
