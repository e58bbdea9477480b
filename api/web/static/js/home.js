// The home page: the log's size and origin, read from the checkpoint (C2SP signed note).
const response = await fetch("/checkpoint", { cache: "no-store" });
if (response.ok) {
  const [origin, size] = (await response.text()).split("\n");
  document.getElementById("log-origin").textContent = origin;
  document.getElementById("log-size").textContent = Number(size).toLocaleString("en-GB");
}
