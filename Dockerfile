# syntax=docker/dockerfile:1
# Quality Time: one image for every process. The command picks the part:
#   docker run IMAGE api | worker | bot | migrate | doctor   (ENTRYPOINT is `qtime`)

FROM python:3.11.14-slim-trixie AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/qtime

# The runtime dependencies at exactly the versions the lock pins. The lock also holds the
# development tools, so it serves as constraints rather than as the list to install.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > runtime.txt \
    && /opt/qtime/bin/pip install --constraint requirements.lock --requirement runtime.txt

COPY README.md ./
COPY core ./core
COPY bot ./bot
COPY tracker_api ./tracker_api
COPY jobs ./jobs
COPY qtime ./qtime
# setuptools comes from the lock too (no build isolation), so the build is reproducible.
RUN /opt/qtime/bin/pip install --no-deps --no-build-isolation .


FROM python:3.11.14-slim-trixie
ENV PATH=/opt/qtime/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLBACKEND=Agg \
    QTIME_DATA_DIR=/data \
    QTIME_API__HOST=0.0.0.0 \
    QTIME_API__PORT=8000
RUN useradd --no-log-init --create-home --uid 10001 --user-group qtime \
    && install -d -o qtime -g qtime /data
COPY --from=build /opt/qtime /opt/qtime
# uid 10001 is the `qtime` user; numeric so that runAsNonRoot-style checks can see it.
USER 10001:10001
WORKDIR /home/qtime
EXPOSE 8000
# The API answers /healthz; the worker's and the bot's health are checked by their supervisors.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('QTIME_API__PORT', '8000') + '/healthz', timeout=4)"]
ENTRYPOINT ["qtime"]
CMD ["api"]
