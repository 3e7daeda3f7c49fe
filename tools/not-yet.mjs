// `npm start` until the HTTP service exists: say so plainly instead of pretending to serve.
console.error(
  'atlog: the transparency service is not built yet (it arrives with the SCRAPI service issue).\n' +
    'What exists today is the Merkle log library in log/; `npm test` exercises it and `npm run bench` measures it.',
);
process.exit(1);
