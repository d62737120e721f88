//! `/graphql/ws`: GraphQL over a WebSocket (`graphql-transport-ws`, `graphql-ws`), held to
//! the same rules as `/graphql`.
//!
//! The connection authenticates in its `connection_init` message and becomes a [`Session`].
//! Every operation then passes the checks [`super::admit`] applies to an HTTP request: the
//! token still works (else the socket closes with [`CLOSE_UNAUTHENTICATED`]), its rate allows
//! one more request (else that operation gets `RATE_LIMITED`), and a query or mutation runs
//! under the time limit (else `TIMEOUT`). A subscription's setup counts once against the rate;
//! its events are not timed. While the connection is open its token is watched, so a
//! revocation or the token's expiry closes it even while it only listens to a subscription.
//!
//! async-graphql runs the protocol ([`async_graphql::http::WebSocket`]) and hands every
//! operation to an [`Executor`]: [`Operations`] is that executor, wrapping the schema. The
//! loop that carries messages is written here, not taken from async-graphql-axum, so that the
//! socket can be closed with a code of paicha's choosing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use async_graphql::http::WebSocketProtocols;
use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response, ServerError};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::http::{HeaderMap, header};
use futures_util::stream::{self, BoxStream};
use futures_util::{SinkExt as _, StreamExt as _, future};
use tokio::sync::watch;

use super::Limits;
use crate::access::{Access, Session};
use crate::error::{AppError, code};
use crate::graphql::PaichaSchema;

/// The close code of a connection whose token is refused at `connection_init`, or was revoked
/// or has expired since (as 4401 of `graphql-transport-ws` for a missing authentication).
pub const CLOSE_UNAUTHENTICATED: u16 = 4401;

/// The executor of one connection's operations.
#[derive(Clone)]
struct Operations {
    schema: PaichaSchema,
    access: Access,
    limits: Limits,
    /// The connection's session, once `connection_init` has authenticated it.
    session: Arc<watch::Sender<Option<Arc<Session>>>>,
    /// Why the connection must close, once an operation has found its token no longer works.
    close: Arc<watch::Sender<Option<String>>>,
}

impl Executor for Operations {
    async fn execute(&self, request: Request) -> Response {
        // The WebSocket protocol runs everything through `execute_stream`.
        let mut responses = self.execute_stream(request, None);
        responses.next().await.unwrap_or_default()
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let this = self.clone();
        stream::once(async move { this.operation(request, session_data).await })
            .flatten()
            .boxed()
    }
}

impl Operations {
    async fn operation(
        self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let session = self.session.borrow().clone();
        let Some(session) = session else {
            return refusal(&AppError::Unauthenticated("连接尚未认证".into()));
        };
        match session.check().await {
            Ok(()) => {}
            Err(AppError::Unauthenticated(reason)) => {
                self.close.send_replace(Some(reason));
                // No answer: the socket closes instead.
                return stream::pending().boxed();
            }
            Err(err) => return refusal(&err),
        }
        if let Err(wait) = self.access.check_rate(session.principal()) {
            let seconds = wait.as_secs() + 1;
            return error_stream(
                code::RATE_LIMITED,
                &format!("请求过于频繁，请 {seconds} 秒后再试"),
            );
        }
        let subscription = super::operation_type(&request.query, request.operation_name.as_deref())
            == Some(OperationType::Subscription);
        let mut responses = match session_data {
            Some(data) => self.schema.execute_stream_with_session_data(request, data),
            None => self.schema.execute_stream(request),
        };
        if subscription {
            return responses;
        }
        let limit = self.limits.timeout;
        let deadline = Instant::now() + limit;
        let answer = async move {
            let run = crate::db::DEADLINE.scope(deadline, responses.next());
            match tokio::time::timeout(limit, run).await {
                Ok(response) => response,
                Err(_) => {
                    tracing::warn!(timeout.s = limit.as_secs_f64(), "operation timed out");
                    Some(error_response(
                        code::TIMEOUT,
                        &format!(
                            "请求处理超过 {} 秒，已中止，未保存任何内容",
                            limit.as_secs()
                        ),
                    ))
                }
            }
        };
        stream::once(answer).filter_map(future::ready).boxed()
    }
}

fn error_response(code: &str, message: &str) -> Response {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    Response::from_errors(vec![error])
}

fn error_stream(code: &str, message: &str) -> BoxStream<'static, Response> {
    stream::once(future::ready(error_response(code, message))).boxed()
}

fn refusal(err: &AppError) -> BoxStream<'static, Response> {
    if let AppError::Internal(cause) = err {
        tracing::error!(error = format!("{cause:#}"), "token re-read failed");
    }
    error_stream(err.code(), err.message())
}

/// The first subprotocol of the upgrade request's `Sec-WebSocket-Protocol` that async-graphql
/// speaks.
pub(super) fn protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|p| p.trim().parse::<WebSocketProtocols>().ok())
        })
}

/// Serves one connection until either side closes it or its token stops working.
pub(super) async fn serve(
    socket: WebSocket,
    schema: PaichaSchema,
    access: Access,
    limits: Limits,
    protocol: WebSocketProtocols,
) {
    let (session, mut sessions) = watch::channel(None::<Arc<Session>>);
    let (close, mut closing) = watch::channel(None::<String>);
    let session = Arc::new(session);
    let operations = Operations {
        schema,
        access: access.clone(),
        limits,
        session: Arc::clone(&session),
        close: Arc::new(close),
    };
    // A `connection_init` refused for its token closes the socket with 4401 and the reason,
    // as a revoked token does, rather than async-graphql's 1002 for any refusal.
    let refused = Arc::new(AtomicBool::new(false));
    let refused_init = Arc::clone(&refused);
    let on_connection_init = move |payload: serde_json::Value| async move {
        let opened = match access.open_session(&payload).await {
            Ok(opened) => Arc::new(opened),
            Err(err) => {
                if matches!(err, AppError::Unauthenticated(_)) {
                    refused_init.store(true, Ordering::Relaxed);
                }
                return Err(err.into());
            }
        };
        let mut data = Data::default();
        data.insert(opened.principal().clone());
        session.send_replace(Some(opened));
        Ok(data)
    };

    let (mut sink, incoming) = socket.split();
    let input = incoming
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let messages = async_graphql::http::WebSocket::new(operations, input, protocol)
        .on_connection_init(on_connection_init)
        .map(|message| match message {
            async_graphql::http::WsMessage::Text(text) => Message::Text(text.into()),
            async_graphql::http::WsMessage::Close(code, reason) => {
                let code = if refused.load(Ordering::Relaxed) {
                    CLOSE_UNAUTHENTICATED
                } else {
                    code
                };
                Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                }))
            }
        });
    let lapsed = async {
        let watched = async {
            let opened = first_set(&mut sessions).await;
            opened.lapsed().await.message().to_owned()
        };
        tokio::select! {
            reason = watched => reason,
            reason = first_set(&mut closing) => reason,
        }
    };
    futures_util::pin_mut!(messages, lapsed);
    loop {
        tokio::select! {
            biased;
            reason = &mut lapsed => {
                tracing::info!("websocket closed: its token no longer works");
                let frame = CloseFrame {
                    code: CLOSE_UNAUTHENTICATED,
                    reason: reason.into(),
                };
                let _ = sink.send(Message::Close(Some(frame))).await;
                break;
            }
            message = messages.next() => match message {
                Some(message) => {
                    if sink.send(message).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
        }
    }
}

/// The value `receiver` holds once one is set; never, should its sender go first.
async fn first_set<T: Clone>(receiver: &mut watch::Receiver<Option<T>>) -> T {
    let set = receiver
        .wait_for(Option::is_some)
        .await
        .map(|value| value.clone());
    match set.ok().flatten() {
        Some(value) => value,
        None => future::pending().await,
    }
}
