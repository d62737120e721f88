// The console's only way to the server: the public GraphQL API (`/graphql`, `/graphql/ws`) and
// the document downloads it names (`/letters/…`, `/exports/…`), always with the signed-in
// token. Errors come back as ApiError with a message a person can read (Chinese).

const TOKEN_KEY = 'paicha.token';

/// An error of the API or of the network, with the message to show.
export class ApiError extends Error {
  constructor(message, code, errors) {
    super(message);
    this.name = 'ApiError';
    this.code = code || null;
    this.errors = errors || [];
  }
}

/// The token of this tab's session (sessionStorage: gone when the tab closes).
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

const HTTP_MESSAGES = {
  401: '令牌无效、已撤销或已过期，请重新登录',
  403: '当前角色无权进行此操作',
  413: '文件过大，超出服务器允许的大小',
  429: '请求过于频繁，请稍后再试',
};

/// Turns a GraphQL response (or its absence) into data, or throws ApiError.
function unwrap(status, body) {
  if (body && Array.isArray(body.errors) && body.errors.length) {
    const first = body.errors[0];
    const code = first.extensions && first.extensions.code;
    const message = body.errors.map((e) => e.message).join('；');
    if (code === 'UNAUTHENTICATED') onUnauthenticated();
    throw new ApiError(message, code, body.errors);
  }
  if (status >= 400 || !body || body.data === undefined) {
    if (status === 401) onUnauthenticated();
    throw new ApiError(HTTP_MESSAGES[status] || `服务器错误（HTTP ${status}）`, `HTTP_${status}`);
  }
  return body.data;
}

let unauthenticatedHandler = () => {};

/// What to do when the server no longer accepts the token (the app signs out).
export function onUnauthenticatedCall(handler) {
  unauthenticatedHandler = handler;
}

function onUnauthenticated() {
  unauthenticatedHandler();
}

async function send(init) {
  let response;
  try {
    response = await fetch('/graphql', init);
  } catch (e) {
    throw new ApiError('无法连接服务器，请检查网络', 'NETWORK');
  }
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  return unwrap(response.status, body);
}

function authHeaders(extra) {
  const headers = { ...(extra || {}) };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  return headers;
}

/// Runs a query or mutation; resolves to its `data`.
export async function gql(query, variables) {
  return send({
    method: 'POST',
    headers: authHeaders({
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
    }),
    body: JSON.stringify({ query, variables: variables || {} }),
  });
}

/// Runs a mutation taking files (the GraphQL multipart request): `files` maps a variable
/// name to a File or Blob, e.g. `upload(q, { source: 'TOWNSHIP' }, { file })`.
export async function upload(query, variables, files) {
  const vars = { ...(variables || {}) };
  const map = {};
  const form = new FormData();
  const names = Object.keys(files).filter((k) => files[k]);
  names.forEach((name, i) => {
    vars[name] = null;
    map[String(i)] = [`variables.${name}`];
  });
  form.append('operations', JSON.stringify({ query, variables: vars }));
  form.append('map', JSON.stringify(map));
  names.forEach((name, i) => form.append(String(i), files[name], files[name].name || name));
  return send({ method: 'POST', headers: authHeaders(), body: form });
}

/// Fetches a document the API names (`/letters/12.pdf`, an export's URL) with the token and
/// saves it under `filename`.
export async function download(url, filename) {
  let response;
  try {
    response = await fetch(url, { headers: authHeaders() });
  } catch (e) {
    throw new ApiError('无法连接服务器，请检查网络', 'NETWORK');
  }
  if (!response.ok) {
    let message = HTTP_MESSAGES[response.status] || `下载失败（HTTP ${response.status}）`;
    try {
      const body = await response.json();
      if (body && body.errors && body.errors.length) message = body.errors[0].message;
    } catch (e) {
      // not JSON: keep the status message
    }
    throw new ApiError(message, `HTTP_${response.status}`);
  }
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return blob;
}

let wsClient = null;

/// The one graphql-transport-ws connection of the tab (vendored graphql-ws), opened on first
/// use with the token in `connection_init`.
function live() {
  if (!wsClient) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    wsClient = window.graphqlWs.createClient({
      url: `${scheme}://${location.host}/graphql/ws`,
      connectionParams: () => ({ Authorization: `Bearer ${token()}` }),
      lazy: true,
      retryAttempts: Infinity,
      shouldRetry: () => true,
    });
  }
  return wsClient;
}

/// Subscribes; `onData(data)` for every event. Returns the function that unsubscribes.
export function subscribe(query, variables, onData, onError) {
  return live().subscribe(
    { query, variables: variables || {} },
    {
      next: (result) => {
        if (result.errors && result.errors.length) {
          if (onError) onError(new ApiError(result.errors.map((e) => e.message).join('；')));
        } else {
          onData(result.data);
        }
      },
      error: (e) => {
        if (onError) onError(new ApiError('实时更新连接中断', 'WS'));
        console.warn('subscription error', e);
      },
      complete: () => {},
    },
  );
}

/// Closes the live connection (on sign-out).
export function closeLive() {
  if (wsClient) {
    wsClient.dispose();
    wsClient = null;
  }
}

/// As `upload`, through XMLHttpRequest so that the sending can be followed: `onProgress`
/// gets `{ phase: 'upload', loaded, total }` while the files go up, then
/// `{ phase: 'server' }` once they are sent and the server works on them (imports pages).
export function uploadWithProgress(query, variables, files, onProgress) {
  const vars = { ...(variables || {}) };
  const map = {};
  const form = new FormData();
  const names = Object.keys(files).filter((k) => files[k]);
  names.forEach((name, i) => {
    vars[name] = null;
    map[String(i)] = [`variables.${name}`];
  });
  form.append('operations', JSON.stringify({ query, variables: vars }));
  form.append('map', JSON.stringify(map));
  names.forEach((name, i) => form.append(String(i), files[name], files[name].name || name));
  const report = onProgress || (() => {});
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/graphql');
    const headers = authHeaders({ Accept: 'application/graphql-response+json, application/json' });
    Object.entries(headers).forEach(([k, v]) => xhr.setRequestHeader(k, v));
    xhr.upload.onprogress = (e) => report({ phase: 'upload', loaded: e.loaded, total: e.lengthComputable ? e.total : null });
    xhr.upload.onload = () => report({ phase: 'server' });
    xhr.onerror = () => reject(new ApiError('无法连接服务器，请检查网络', 'NETWORK'));
    xhr.ontimeout = () => reject(new ApiError('服务器长时间未响应，请稍后在“历史批次”中查看结果', 'TIMEOUT'));
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        body = null;
      }
      try {
        resolve(unwrap(xhr.status, body));
      } catch (e) {
        reject(e);
      }
    };
    xhr.send(form);
  });
}
