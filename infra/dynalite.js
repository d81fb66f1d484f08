#!/usr/bin/env node
// Starts dynalite (an in-memory DynamoDB API) on loopback for tests and local
// runs, and prints one line "listening <port>" once it accepts requests.
//
//   node infra/dynalite.js [--port 0] [--host 127.0.0.1] [--exit-with-stdin]
//
// --port 0 (the default) lets the system choose a free port, so parallel test
// processes never collide. --exit-with-stdin stops the server when standard
// input closes, which is how a test process that dies, even by SIGKILL, takes
// its server with it. Tables are created, updated and deleted at once
// (createTableMs etc. 0) and live in memory only.
'use strict'

const argv = { port: 0, host: '127.0.0.1', 'exit-with-stdin': false }
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  const name = args[i].replace(/^--/, '')
  if (name === 'exit-with-stdin') argv[name] = true
  else if (name === 'port' || name === 'host') argv[name] = args[++i]
  else {
    console.error('dynalite.js: unknown argument ' + args[i])
    process.exit(2)
  }
}
const dynalite = require('dynalite')

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })

function stop () {
  // Memory only: nothing to flush, so do not wait for open connections.
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

if (argv['exit-with-stdin']) {
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()
}

server.on('error', (err) => {
  console.error('dynalite: ' + err.message)
  process.exit(1)
})
server.listen(Number(argv.port), argv.host, () => {
  console.log('listening ' + server.address().port)
})
