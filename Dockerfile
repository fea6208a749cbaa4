# The storybot Discord bot in a container: docker build -t storybot . && docker run --env-file .env storybot
FROM python:3.11-slim
WORKDIR /app
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 STORYBOT_HOME=/data
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY retrieval ./retrieval
COPY index ./index
COPY evaluation ./evaluation
COPY seeds ./seeds
# The plain package: it embeds with onnxruntime through the shipped ONNX export, so no torch.
RUN pip install --no-cache-dir . && useradd --create-home storybot && mkdir -p /data && chown storybot /data
USER storybot
VOLUME ["/data"]
CMD ["storybot", "discord"]
