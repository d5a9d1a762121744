// Sends identify, track and page calls (one batch) with a real Node.js client.
// Usage: node send.mjs segment|rudder HOST WRITE_KEY. Exits non-zero if delivery failed.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const [, , which, host, writeKey] = process.argv
const userId = `${which}-node-user`
const timestamp = new Date('2026-01-02T03:04:05.000Z')

async function segment () {
  const { Analytics } = require('@segment/analytics-node')
  const client = new Analytics({ writeKey, host, flushAt: 10, flushInterval: 60000, maxRetries: 5 })
  client.on('error', (err) => { console.error('delivery failed', err); process.exitCode = 1 })
  client.identify({ userId, traits: { plan: 'pro' } })
  client.track({ userId, event: 'Node Tracked', properties: { n: 1 }, timestamp })
  client.page({ userId, name: 'Home', properties: { path: '/' } })
  await client.closeAndFlush({ timeout: 30000 })
}

async function rudder () {
  const Analytics = require('@rudderstack/rudder-sdk-node')
  const client = new Analytics(writeKey, { dataPlaneUrl: host, flushAt: 10, flushInterval: 60000, logLevel: 'error' })
  client.identify({ userId, traits: { plan: 'pro' } })
  client.track({ userId, event: 'Node Tracked', properties: { n: 1 }, timestamp })
  client.page({ userId, name: 'Home', properties: { path: '/' } })
  await client.flush()
}

try {
  await (which === 'segment' ? segment() : rudder())
} catch (err) {
  console.error('delivery failed', err)
  process.exitCode = 1
}
