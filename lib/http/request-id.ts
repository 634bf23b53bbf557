const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echo a well-formed client `x-request-id`; otherwise mint one. */
export function requestIdFor(request: Request): string {
  const sent = request.headers.get("x-request-id");
  return sent !== null && CLIENT_ID.test(sent) ? sent : crypto.randomUUID();
}
