// The reference peer of kept-bench: automerge-repo's own sync server
// (WebSocket server adapter + NodeFS storage) and a client that asks for
// every document and waits until all are loaded.
//
//   node peer.mjs import DOCS_DIR STORAGE_DIR URLS_OUT   # saved Automerge docs (*.bin) → server storage
//   node peer.mjs serve STORAGE_DIR                      # prints "listening PORT", runs until killed
//   node peer.mjs fetch PORT URLS_FILE                   # prints {"ms":…, "docs":…, "activities":…}
import fs from "node:fs"
import path from "node:path"
import { Repo } from "@automerge/automerge-repo"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { WebSocketClientAdapter, WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { WebSocketServer } from "ws"

const [cmd, ...args] = process.argv.slice(2)

if (cmd === "import") {
  const [docsDir, storageDir, urlsOut] = args
  const repo = new Repo({ storage: new NodeFSStorageAdapter(storageDir), network: [] })
  const urls = []
  for (const f of fs.readdirSync(docsDir).filter(f => f.endsWith(".bin")).sort()) {
    const h = repo.import(new Uint8Array(fs.readFileSync(path.join(docsDir, f))))
    urls.push(h.url)
  }
  await repo.flush()
  await repo.shutdown()
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
  const handles = await Promise.all(urls.map(u => repo.find(u)))
  let activities = 0
  for (const h of handles) {
    const d = h.doc()
    if (d && d.activities) activities += Object.keys(d.activities).length
  }
  const ms = performance.now() - t0
  console.log(JSON.stringify({ ms, docs: handles.length, activities }))
  process.exit(0)
} else {
  console.error("usage: peer.mjs import|serve|fetch …")
  process.exit(2)
}
