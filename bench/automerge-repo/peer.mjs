// The reference peer of kept-bench: automerge-repo's own sync server
// (WebSocket server adapter + NodeFS storage) and a client that asks for
// every document and waits until all are loaded.
//
//   node peer.mjs import DOCS_DIR STORAGE_DIR URLS_OUT   # saved Automerge docs (*.bin) → server storage
//   node peer.mjs serve STORAGE_DIR                      # prints "listening PORT", runs until killed
//   node peer.mjs fetch PORT URLS_FILE                   # prints {"ms":…, "total_ms":…, "docs":…, "activities":…}
import fs from "node:fs"
import path from "node:path"
import crypto from "node:crypto"
import { Repo, generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { WebSocketClientAdapter, WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { WebSocketServer } from "ws"

const [cmd, ...args] = process.argv.slice(2)

if (cmd === "import") {
  // Writes each saved document straight into the NodeFS storage layout the
  // server's Repo loads from ([documentId, "snapshot", hash]) under a fresh
  // document id. (Repo.import + flush does the same through the Repo and
  // took minutes for a few thousand documents.)
  const [docsDir, storageDir, urlsOut] = args
  const storage = new NodeFSStorageAdapter(storageDir)
  const urls = []
  for (const f of fs.readdirSync(docsDir).filter(f => f.endsWith(".bin")).sort()) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(docsDir, f)))
    const url = generateAutomergeUrl()
    const { documentId } = parseAutomergeUrl(url)
    const hash = crypto.createHash("sha256").update(bytes).digest("hex")
    await storage.save([documentId, "snapshot", hash], bytes)
    urls.push(url)
  }
  fs.writeFileSync(urlsOut, JSON.stringify(urls))
  console.log(JSON.stringify({ docs: urls.length }))
  process.exit(0)
} else if (cmd === "serve") {
  const [storageDir] = args
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 })
  await new Promise(r => wss.on("listening", r))
  new Repo({
    network: [new WebSocketServerAdapter(wss)],
    storage: new NodeFSStorageAdapter(storageDir),
    peerId: "sync-server",
    // As automerge-repo's sync server: answer requests, announce nothing.
    sharePolicy: async () => false,
  })
  console.log(`listening ${wss.address().port}`)
} else if (cmd === "fetch") {
  const [port, urlsFile] = args
  const urls = JSON.parse(fs.readFileSync(urlsFile, "utf8"))
  const t0 = performance.now()
  const repo = new Repo({ network: [new WebSocketClientAdapter(`ws://127.0.0.1:${port}`)] })
  await repo.networkSubsystem.whenReady()
  const t1 = performance.now()
  // At most IN_FLIGHT requests at once (all 2,700 at once made the server
  // answer "unavailable" for some); an unavailable document is asked again.
  const IN_FLIGHT = Number(process.env.IN_FLIGHT || 64)
  const DEADLINE = t1 + Number(process.env.DEADLINE_MS || 240000)
  const handles = []
  let next = 0, retries = 0
  async function worker() {
    while (next < urls.length && performance.now() < DEADLINE) {
      const u = urls[next++]
      for (;;) {
        try {
          handles.push(await repo.find(u))
          break
        } catch (e) {
          retries++
          if (performance.now() >= DEADLINE) return
        }
      }
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  let activities = 0
  for (const h of handles) {
    const d = h.doc()
    if (d && d.activities) activities += Object.keys(d.activities).length
  }
  const t2 = performance.now()
  // ms: from the connection being ready to every document loaded; total_ms: from the start.
  console.log(JSON.stringify({ ms: t2 - t1, total_ms: t2 - t0, docs: handles.length, wanted: urls.length, retries, activities }))
  process.exit(0)
} else {
  console.error("usage: peer.mjs import|serve|fetch …")
  process.exit(2)
}
