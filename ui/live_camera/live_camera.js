// CV Lab live camera: a Streamlit components-v2 module (no build step, no iframe).
//
// Streamlit calls the default export on mount and again whenever the Python side's `data`
// changes: {ack, interval_ms, max_side, quality, strings}. Each call finds this element's
// state in STATES (one per mounted component), so the camera stream survives the reruns.
//
// Protocol (back-pressure): after Start, a frame is drawn from the <video> onto a canvas
// no bigger than max_side, encoded as JPEG and sent as the trigger value "frame":
// {seq, t_client_ms, w, h, jpeg_b64, rtt_ms}. The next frame is taken only when Python
// answers with data.ack === seq (no sooner than interval_ms after the previous frame was
// taken), so frames never queue up on a slow server. If no answer comes within
// WATCHDOG_MS (a rerun that swallowed the trigger), one new frame is sent. Nothing runs
// before Start or after Stop; a refused camera shows a message and stops.

const STATES = new WeakMap();
const WATCHDOG_MS = 20000;

function build(root) {
  const box = document.createElement("div");
  box.className = "cvlab-live";
  box.innerHTML = `
    <video class="preview" autoplay muted playsinline></video>
    <div class="bar">
      <button type="button" class="start"></button>
      <button type="button" class="stop" disabled></button>
      <span class="status" data-testid="live-status"></span>
    </div>
    <div class="error" data-testid="live-error" hidden></div>`;
  root.appendChild(box);
  return {
    box,
    video: box.querySelector("video"),
    start: box.querySelector(".start"),
    stop: box.querySelector(".stop"),
    status: box.querySelector(".status"),
    error: box.querySelector(".error"),
    canvas: document.createElement("canvas"),
  };
}

function create(root) {
  const ui = build(root);
  const s = {
    ui, stream: null, running: false, started: false, seq: 0, inflight: 0, sentAt: 0, takenAt: 0,
    rtt: null, timer: null, watchdog: null, data: {}, send: null,
  };
  const str = (k) => (s.data.strings && s.data.strings[k]) || k;

  s.showError = (text) => {
    ui.error.textContent = text;
    ui.error.hidden = !text;
  };
  s.showStatus = () => {
    ui.status.textContent = s.running
      ? `${str("live")} · ${str("frame")} ${s.seq}` +
        (s.rtt === null ? "" : ` · ${str("round_trip")} ${Math.round(s.rtt)} ms`)
      : (s.started ? `${str("stopped")} · ${str("frame")} ${s.seq}` : "");
  };
  s.relabel = () => {
    ui.start.textContent = str("start");
    ui.stop.textContent = str("stop");
    s.showStatus();
  };

  s.halt = () => {
    s.running = false;
    s.inflight = 0;
    clearTimeout(s.timer);
    clearTimeout(s.watchdog);
    if (s.stream) s.stream.getTracks().forEach((t) => t.stop());
    s.stream = null;
    ui.video.srcObject = null;
    ui.start.disabled = false;
    ui.stop.disabled = true;
    s.showStatus();
  };

  s.begin = async () => {
    s.showError("");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      s.showError(str("insecure"));     // http on another host: browsers hide the camera
      return;
    }
    ui.start.disabled = true;
    try {
      s.stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    } catch (e) {
      const name = (e && e.name) || "Error";
      const key = (name === "NotAllowedError" || name === "SecurityError") ? "denied"
        : (name === "NotFoundError" || name === "OverconstrainedError") ? "no_camera"
        : (name === "NotReadableError") ? "busy" : "failed";
      s.showError(`${str(key)} (${name})`);
      s.halt();
      return;
    }
    const track = s.stream.getVideoTracks()[0];
    if (track) track.addEventListener("ended", () => { s.showError(str("ended")); s.halt(); });
    ui.video.srcObject = s.stream;
    try { await ui.video.play(); } catch (e) { /* autoplay of a muted stream is allowed */ }
    s.running = s.started = true;
    ui.stop.disabled = false;
    s.capture();
  };

  s.capture = () => {
    clearTimeout(s.timer);
    if (!s.running) return;
    const v = ui.video;
    if (v.readyState < 2 || !v.videoWidth) {       // the first picture is not there yet
      s.timer = setTimeout(s.capture, 50);
      return;
    }
    const side = Number(s.data.max_side) || 224;
    const k = Math.min(1, side / Math.max(v.videoWidth, v.videoHeight));
    const w = Math.max(1, Math.round(v.videoWidth * k));
    const h = Math.max(1, Math.round(v.videoHeight * k));
    ui.canvas.width = w;
    ui.canvas.height = h;
    ui.canvas.getContext("2d").drawImage(v, 0, 0, w, h);
    const url = ui.canvas.toDataURL("image/jpeg", Number(s.data.quality) || 0.8);
    s.seq += 1;
    s.inflight = s.seq;
    s.takenAt = s.sentAt = performance.now();
    s.send("frame", {
      seq: s.seq, t_client_ms: Date.now(), w, h,
      jpeg_b64: url.slice(url.indexOf(",") + 1), rtt_ms: s.rtt,
    });
    s.showStatus();
    clearTimeout(s.watchdog);
    const sent = s.seq;
    s.watchdog = setTimeout(() => {
      if (s.running && s.inflight === sent) s.capture();
    }, WATCHDOG_MS);
  };

  s.update = (data) => {
    s.data = data || {};
    s.relabel();
    if (s.running && s.inflight && s.data.ack === s.inflight) {
      s.rtt = performance.now() - s.sentAt;
      s.inflight = 0;
      clearTimeout(s.watchdog);
      const wait = Math.max(0, s.takenAt + (Number(s.data.interval_ms) || 0) - performance.now());
      s.timer = setTimeout(s.capture, wait);
      s.showStatus();
    }
  };

  ui.start.addEventListener("click", () => { if (!s.running) s.begin(); });
  ui.stop.addEventListener("click", () => s.halt());
  return s;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let s = STATES.get(parentElement);
  if (!s) {
    s = create(parentElement);
    // go on from the last frame Python answered (an earlier mount, same session), so a
    // new frame's seq never equals the ack Python already shows
    s.seq = Number((data || {}).ack) || 0;
    STATES.set(parentElement, s);
  }
  s.send = setTriggerValue;
  s.update(data);
  // Streamlit runs this when the element goes away (another tab, another page); it may
  // also run it for a superseded call while the element stays, so only a detached
  // element releases the camera.
  return () => setTimeout(() => {
    const host = parentElement.host || parentElement;
    if (!host.isConnected) {
      s.halt();
      STATES.delete(parentElement);
    }
  }, 0);
}
